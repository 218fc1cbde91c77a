"""The ``polyvox`` command as a user runs it: outputs, listings and one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import soundfile
import torch
from typer.testing import CliRunner

from polyvox.voice_file import VoiceMetadata, save_voice
from polyvox.cli import app
from polyvox.config import preset
from polyvox.models.vits import VitsGenerator
from polyvox.text.rules import TextRules

SENTENCE = "Hello world. The cat sat on the mat."


@pytest.fixture(scope="module")
def voice_file(tmp_path_factory) -> Path:
    """An untrained tiny voice whose symbol table covers SENTENCE in English and Spanish."""
    config = preset("tiny", ("en", "es"), n_speakers=2)
    symbols = TextRules(config, ("en", "es")).table_for([(SENTENCE, "en"), ("Hola mundo.", "es")])
    metadata = VoiceMetadata(config=config, symbols=symbols, languages=("en", "es"), speakers=("en_f3", "es_m1"), info={})
    torch.manual_seed(0)
    generator = VitsGenerator(config.model, len(symbols), 2, config.audio.n_mels, config.audio.hop_length)
    return save_voice(tmp_path_factory.mktemp("voice") / "tiny.safetensors", generator.state_dict(), metadata)


def run(*args: str, input: str | None = None):
    return CliRunner().invoke(app, list(args), input=input)


def assert_one_line_error(result, *fragments: str) -> None:
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.strip().splitlines() if line]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    for fragment in fragments:
        assert fragment in lines[0]
    assert "Traceback" not in result.output


def test_say_writes_a_wav(voice_file, tmp_path):
    output = tmp_path / "out.wav"
    result = run("say", SENTENCE, "--voice", str(voice_file), "--lang", "en", "-o", str(output), "--seed", "1")
    assert result.exit_code == 0, result.output
    info = soundfile.info(str(output))
    assert info.samplerate == 22050 and info.frames > 0


def test_say_reads_standard_input_and_text_files(voice_file, tmp_path):
    from_stdin = tmp_path / "stdin.wav"
    result = run("say", "-", "--voice", str(voice_file), "--lang", "es", "-o", str(from_stdin), input="Hola mundo.")
    assert result.exit_code == 0, result.output
    assert from_stdin.is_file()
    text_file = tmp_path / "text.txt"
    text_file.write_text(SENTENCE)
    from_file = tmp_path / "file.wav"
    assert run("say", "-f", str(text_file), "--voice", str(voice_file), "-o", str(from_file)).exit_code == 0
    assert from_file.is_file()


def test_listings(voice_file):
    assert run("say", "--list-speakers", "--voice", str(voice_file)).output.split() == ["en_f3", "es_m1"]
    assert run("say", "--list-languages", "--voice", str(voice_file)).output.split() == ["en", "es"]


@pytest.mark.parametrize(
    ("arguments", "fragments"),
    [
        (["   "], ["blank"]),
        (["Hello", "--lang", "xx"], ["does not speak 'xx'", "en, es"]),
        (["Hello", "--speaker", "nobody"], ["unknown speaker 'nobody'", "en_f3"]),
        (["Привет"], ["cannot read"]),
        (["Quixotic zebra"], ["never learned the sound(s)", "polyvox finetune"]),
        (["Hello", "--speed", "0"], ["--speed must be between 0.25 and 4, got 0"]),
    ],
)
def test_bad_requests_fail_in_one_line_and_write_nothing(voice_file, tmp_path, arguments, fragments):
    output = tmp_path / "out.wav"
    result = run("say", *arguments, "--voice", str(voice_file), "-o", str(output))
    assert_one_line_error(result, *fragments)
    assert not output.exists()


def test_missing_and_corrupt_voice_files(tmp_path):
    output = tmp_path / "out.wav"
    assert_one_line_error(run("say", "Hello", "--voice", str(tmp_path / "none.safetensors"), "-o", str(output)), "not found")
    corrupt = tmp_path / "corrupt.safetensors"
    corrupt.write_bytes(b"\x00\x01 definitely not a voice" * 10)
    assert_one_line_error(run("say", "Hello", "--voice", str(corrupt), "-o", str(output)), "corrupt.safetensors")
    assert not output.exists()


@pytest.mark.parametrize(
    ("name", "fragments"),
    [
        ("step-500.ckpt", ("is a PyTorch checkpoint, not a polyvox voice file", "polyvox import-voice", "RUN/voice.safetensors")),
        ("voice.onnx", ("is an ONNX graph, not a polyvox voice file", "--engine onnx", "polyvox import-voice")),
        ("notes.txt", ("is a text file, not a polyvox voice file",)),
    ],
)
def test_a_file_that_is_no_voice_is_named_with_what_to_do(tmp_path, name, fragments):
    path = tmp_path / name
    if name.endswith(".ckpt"):
        torch.save({"state_dict": {"w": torch.zeros(2)}}, path)
    else:
        path.write_bytes(b"\x08\x07\x12\x07pytorch" if name.endswith(".onnx") else b"some words\n")
    output = tmp_path / "out.wav"
    assert_one_line_error(run("say", "Hello", "--voice", str(path), "-o", str(output)), *fragments)
    assert not output.exists()


def test_truncated_voice_file(voice_file, tmp_path):
    truncated = tmp_path / "truncated.safetensors"
    truncated.write_bytes(voice_file.read_bytes()[: voice_file.stat().st_size // 2])
    assert_one_line_error(run("say", "Hello", "--voice", str(truncated), "-o", str(tmp_path / "o.wav")), "truncated")


def test_unwritable_output_leaves_nothing(voice_file, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder should be")
    result = run("say", "Hello", "--voice", str(voice_file), "-o", str(blocker / "out.wav"))
    assert_one_line_error(result, "cannot write audio")
    assert blocker.read_text() == "a file where a folder should be"


def test_train_rejects_unknown_config_key(tmp_path):
    manifest = tmp_path / "manifest.jsonl"
    manifest.write_text("")
    result = run("train", "--data", str(manifest), "-o", str(tmp_path / "run"), "--set", "training.batchsize=2")
    assert_one_line_error(result, "unknown config key 'training.batchsize'")


@pytest.mark.parametrize(("seconds", "text"), [(4.23, "4.2 s"), (185.4, "3 min 05 s"), (7380.0, "2 h 03 min")])
def test_summary_lines_say_how_long_in_units_that_read(seconds: float, text: str):
    from polyvox.cli_support import duration_text

    assert duration_text(seconds) == text
