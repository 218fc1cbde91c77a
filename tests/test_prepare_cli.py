"""``polyvox prepare`` on the command line: the voice decides the rate, the summary fits a screen,
bad input is one ``error:`` line."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import soundfile
import torch
from typer.testing import CliRunner

from polyvox.voice_file import VoiceMetadata, save_voice
from polyvox.cli import app
from polyvox.config import preset
from polyvox.data.manifest import read_manifest
from polyvox.models.vits import VitsGenerator
from polyvox.prepare.report import REPORT_FILE
from polyvox.text import SymbolTable
from polyvox.text.rules import TextRules
from prepare_helpers import LongRecording, write_long_recording

# A terminal screen.
SCREEN_LINES = 25


@pytest.fixture(scope="module")
def voice_16k(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny English voice at 16 kHz."""
    config = preset("tiny", ("en",)).replace(**{"audio.sample_rate": 16000})
    symbols = TextRules(config, ("en",)).table_for([("The pilot has eleven books.", "en")])
    metadata = VoiceMetadata(config=config, symbols=symbols, languages=("en",), speakers=("a",), info={})
    torch.manual_seed(0)
    generator = VitsGenerator(config.model, len(symbols), 1, config.audio.n_mels, config.audio.hop_length)
    return save_voice(tmp_path_factory.mktemp("voice") / "tiny16k.safetensors", generator.state_dict(), metadata)


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory, engine: object) -> LongRecording:
    return write_long_recording(engine, tmp_path_factory.mktemp("long") / "talk.wav", count=4, seed=9, clipped_sentence=None)  # type: ignore[arg-type]


def run(*args: str) -> object:
    return CliRunner().invoke(app, list(args))


def test_prepare_writes_a_manifest_at_the_voice_rate(tmp_path: Path, recording: LongRecording, voice_16k: Path) -> None:
    transcript = tmp_path / "talk.txt"
    transcript.write_text("\n".join(recording.sentences))
    out = tmp_path / "out"
    result = run(
        "prepare", str(recording.path), "-o", str(out), "--transcript", str(transcript), "--voice", str(voice_16k),
        "--flagged", "keep", "--max-clip", "10", "--workers", "1",
    )
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    summary = result.output.strip().splitlines()  # type: ignore[attr-defined]
    assert len(summary) <= SCREEN_LINES
    assert any("talk" in line and " en " in line for line in summary)
    assert re.fullmatch(rf"wrote {re.escape(str(out / 'manifest.jsonl'))}: \d+ clips \(\d+\.\d min\) in \d+\.\d s", summary[-1])
    manifest = read_manifest(out / "manifest.jsonl")
    assert [u.text for u in manifest] == recording.sentences
    assert {soundfile.info(u.audio).samplerate for u in manifest} == {16000}
    assert (out / REPORT_FILE).is_file()
    # Four sentences cannot cover English: the report and the summary name what the dataset lacks.
    coverage = json.loads((out / REPORT_FILE).read_text(encoding="utf-8"))["phoneme_coverage"]["en"]
    assert coverage["missing_phonemes"] and coverage["phonemes_covered"] > 0
    assert any("no clip has the phoneme(s)" in line and coverage["missing_phonemes"][0] in line for line in summary)


@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        (["missing.wav"], "input not found"),
        (["{recording}", "--whisper-model", "{tmp}/no-model"], "transcription model folder not found"),
        (["{recording}", "--min-clip", "5", "--max-clip", "2"], "clip length range"),
        (["{recording}", "--transcript", "{tmp}/talk.txt", "--lang", "xx"], "cannot read the transcripts"),
    ],
)
def test_bad_input_is_one_error_line(tmp_path: Path, recording: LongRecording, arguments: list[str], fragment: str) -> None:
    (tmp_path / "talk.txt").write_text("\n".join(recording.sentences), encoding="utf-8")
    filled = [a.format(recording=recording.path, tmp=tmp_path) for a in arguments]
    result = run("prepare", *filled, "-o", str(tmp_path / "out"), "--workers", "1")
    lines = [line for line in result.output.strip().splitlines() if line]  # type: ignore[attr-defined]
    assert result.exit_code == 1, result.output  # type: ignore[attr-defined]
    assert len(lines) == 1 and lines[0].startswith("error: ") and fragment in lines[0], lines


@pytest.mark.parametrize("given", ["recording", "folder"])
def test_without_transcripts_or_a_model_prepare_stops_and_says_how_to_give_them(
    tmp_path: Path, recording: LongRecording, given: str
) -> None:
    source = recording.path
    if given == "folder":
        source = tmp_path / "clips"
        source.mkdir()
        shutil.copy(recording.path, source / "a.wav")
        shutil.copy(recording.path, source / "b.wav")
    out = tmp_path / "out"
    result = run("prepare", str(source), "-o", str(out), "--workers", "1")
    lines = [line for line in result.output.strip().splitlines() if line]  # type: ignore[attr-defined]
    assert result.exit_code == 1, result.output  # type: ignore[attr-defined]
    assert len(lines) == 1 and lines[0].startswith("error: none of the "), lines
    for way in ("--transcript FILE", ".txt file", "CSV", "--whisper-model FOLDER"):
        assert way in lines[0]
    assert not (out / "manifest.jsonl").exists()
