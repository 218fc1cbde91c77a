"""``polyvox say`` beyond one WAV file: --stream to a player, --pitch, and --batch into a folder."""

from __future__ import annotations

import json
import re
from functools import partial
from pathlib import Path

import numpy as np
import pytest
import soundfile
from typer.testing import CliRunner

from polyvox.cli import app
from polyvox.inference.batch import SpeechSettings, one_torch_thread, run_batch, speak_with_workers
from polyvox.inference.batch_items import read_batch_items
from polyvox.inference.voice import Voice
from tiny_voices import ENGLISH, SPANISH, make_tiny_voice


@pytest.fixture(autouse=True, scope="module")
def single_torch_thread():
    """One torch thread: on a shared 2-core machine a second thread spins and costs far more than it gives."""
    with one_torch_thread():
        yield


@pytest.fixture(scope="module")
def voice_file(tmp_path_factory) -> Path:
    return make_tiny_voice(tmp_path_factory.mktemp("voice") / "tiny.safetensors", seed=0)


def run(*args: str | Path):
    return CliRunner().invoke(app, [str(arg) for arg in args])


def assert_one_line_error(result, fragment: str) -> None:
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.strip().splitlines() if line.startswith("error: ")]
    assert len(lines) == 1 and fragment in lines[0], result.output
    assert "Traceback" not in result.output


def wav_samples(path: Path) -> np.ndarray:
    samples, rate = soundfile.read(str(path), dtype="int16")
    assert rate == 22050
    return samples


def test_stream_writes_the_same_audio_as_raw_pcm(voice_file, tmp_path):
    streamed = run("say", ENGLISH, "--voice", voice_file, "--seed", "3", "--stream")
    assert streamed.exit_code == 0, streamed.output
    assert "22050 Hz" in streamed.stderr
    pcm = np.frombuffer(streamed.stdout_bytes, dtype="<i2")
    assert run("say", ENGLISH, "--voice", voice_file, "--seed", "3", "-o", tmp_path / "whole.wav").exit_code == 0
    whole = wav_samples(tmp_path / "whole.wav")
    assert pcm.shape == whole.shape
    assert np.abs(pcm.astype(np.int32) - whole).max() <= 1  # float -> int16 rounding


def test_stream_and_an_output_file_exclude_each_other(voice_file, tmp_path):
    assert_one_line_error(run("say", ENGLISH, "--voice", voice_file, "--stream", "-o", tmp_path / "x.wav"), "drop -o")
    assert not (tmp_path / "x.wav").exists()


def test_pitch_keeps_the_length(voice_file, tmp_path):
    for name, pitch in (("plain.wav", "0"), ("higher.wav", "4")):
        result = run("say", ENGLISH, "--voice", voice_file, "--seed", "1", "--pitch", pitch, "-o", tmp_path / name)
        assert result.exit_code == 0, result.output
    plain, higher = wav_samples(tmp_path / "plain.wav"), wav_samples(tmp_path / "higher.wav")
    assert plain.shape == higher.shape and not np.array_equal(plain, higher)
    assert_one_line_error(run("say", ENGLISH, "--voice", voice_file, "--pitch", "30", "-o", tmp_path / "x.wav"), "semitones")


def test_batch_of_lines_resumes_and_keeps_finished_files(voice_file, tmp_path):
    lines = tmp_path / "lines.txt"
    lines.write_text(f"{ENGLISH}\n\nHello world.\nThe cat sat on the mat.\n", encoding="utf-8")
    folder = tmp_path / "out"
    first = run("say", "--batch", lines, "-o", folder, "--voice", voice_file, "--seed", "2", "--jobs", "1")
    assert first.exit_code == 0, first.output
    assert sorted(path.name for path in folder.iterdir()) == ["0001.wav", "0003.wav", "0004.wav"]  # named by line

    kept = (folder / "0001.wav").stat().st_mtime_ns
    (folder / "0003.wav").unlink()
    (folder / ".0004.wav.x1y2.partial").write_bytes(b"half a file from a killed run")
    again = run("say", "--batch", lines, "-o", folder, "--voice", voice_file, "--seed", "2", "--jobs", "1")
    assert again.exit_code == 0, again.output
    assert "wrote 1 files" in again.stderr and "2 already there" in again.stderr
    assert re.search(r"speaking: .*3/3 \[", again.stderr)  # a bar over the items, its total and time left
    assert re.search(r"^wrote 1 files to .* in \d+\.\d s$", again.stderr.splitlines()[-1])  # the summary says how long
    assert sorted(path.name for path in folder.iterdir()) == ["0001.wav", "0003.wav", "0004.wav"]
    assert (folder / "0001.wav").stat().st_mtime_ns == kept


def test_batch_manifest_speaks_each_record_and_reports_the_bad_one(voice_file, tmp_path):
    records = [
        {"id": "greeting", "text": ENGLISH},
        {"id": "hola", "text": SPANISH, "language": "es", "speaker": "es_m1"},
        {"audio": "wavs/cat.wav", "text": "Quixotic zebra.", "language": "en"},
    ]
    manifest = tmp_path / "manifest.jsonl"
    manifest.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    folder = tmp_path / "out"
    result = run("say", "--batch", manifest, "-o", folder, "--voice", voice_file, "--jobs", "1")
    assert_one_line_error(result, "1 of 3 utterances failed")
    assert "manifest.jsonl, line 3" in result.stderr and "never learned the sound(s)" in result.stderr
    assert sorted(path.name for path in folder.iterdir()) == ["greeting.wav", "hola.wav"]


def test_a_worker_process_writes_what_this_process_writes(voice_file, tmp_path):
    lines = tmp_path / "lines.txt"
    lines.write_text("Hello world.\nThe cat sat on the mat.\nHello cat.\n", encoding="utf-8")
    items = read_batch_items(lines)
    settings = SpeechSettings(language="en", seed=4)
    report = run_batch(items, tmp_path / "here", partial(Voice.load, voice_file), settings, jobs=1, progress=False)
    assert report.written == 3
    finished: list[tuple[int, str | None]] = []
    (tmp_path / "worker").mkdir()
    speak_with_workers(items, tmp_path / "worker", partial(Voice.load, voice_file), settings, workers=1,
                       finish=lambda index, failure: finished.append((index, failure)))  # no voice here: workers only
    assert sorted(finished) == [(0, None), (1, None), (2, None)]
    for name in ("0001.wav", "0002.wav", "0003.wav"):
        here, there = wav_samples(tmp_path / "here" / name), wav_samples(tmp_path / "worker" / name)
        assert here.shape == there.shape and np.abs(here.astype(np.int32) - there).max() <= 1  # thread counts may differ


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ('{"id": "a", "text": "Hello."}\n{"id": "a", "text": "Hello world."}\n', "used twice"),
        ('{"id": "../escape", "text": "Hello."}\n', "cannot be a file name"),
        ('{"id": "a"}\n', "needs a 'text'"),
        ("{not json\n", "not valid JSON"),
        ("\n\n", "nothing to speak"),
    ],
)
def test_bad_batch_files_fail_in_one_line_before_speaking(voice_file, tmp_path, content, fragment):
    manifest = tmp_path / "batch.jsonl"
    manifest.write_text(content, encoding="utf-8")
    assert_one_line_error(run("say", "--batch", manifest, "-o", tmp_path / "out", "--voice", voice_file), fragment)
    assert not (tmp_path / "out").exists()


def test_batch_needs_a_folder_and_no_text(voice_file, tmp_path):
    lines = tmp_path / "lines.txt"
    lines.write_text("Hello.\n", encoding="utf-8")
    assert_one_line_error(run("say", "--batch", lines, "--voice", voice_file), "-o FOLDER")
    assert_one_line_error(run("say", "Hello", "--batch", lines, "-o", tmp_path / "out"), "not both")
