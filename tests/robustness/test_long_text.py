"""#24 item 19: a long text is written sentence by sentence as it is spoken, with bounded memory and a
progress bar over its sentences (#19 item 10); every sentence is checked before any audio is made."""

from __future__ import annotations

import re
import tracemalloc

import numpy as np
import pytest
import soundfile
from typer.testing import CliRunner

from polyvox.cli import app
from polyvox.inference import long_text
from polyvox.inference.long_text import write_chunks
from polyvox.inference.voice import Voice
from tiny_voices import ENGLISH, make_tiny_voice

RATE = 22050


@pytest.fixture(scope="module")
def voice(tmp_path_factory):
    return make_tiny_voice(tmp_path_factory.mktemp("voice") / "tiny.safetensors", seed=0)


def _say(voice, text_file, output, *extra):
    return CliRunner().invoke(app, ["say", "-f", str(text_file), "--voice", str(voice), "-o", str(output), "--seed", "3", *extra])


def test_a_long_text_is_written_as_it_is_spoken_and_equals_the_whole_synthesis(voice, tmp_path, monkeypatch):
    text_file = tmp_path / "text.txt"
    text_file.write_text(" ".join([ENGLISH] * 4), encoding="utf-8")
    whole = _say(voice, text_file, tmp_path / "whole.wav")
    assert whole.exit_code == 0, whole.output
    monkeypatch.setattr(long_text, "LONG_TEXT_CHARS", 10)
    streamed = _say(voice, text_file, tmp_path / "streamed.wav")
    assert streamed.exit_code == 0, streamed.output
    assert "speaking:" in streamed.output  # the progress bar
    whole_samples, _ = soundfile.read(tmp_path / "whole.wav", dtype="int16")
    streamed_samples, _ = soundfile.read(tmp_path / "streamed.wav", dtype="int16")
    assert whole_samples.shape == streamed_samples.shape
    assert np.abs(whole_samples.astype(int) - streamed_samples.astype(int)).max() <= 2  # float rounding, 16-bit


def test_a_bad_last_sentence_stops_a_long_text_before_any_audio(voice, tmp_path, monkeypatch):
    monkeypatch.setattr(long_text, "LONG_TEXT_CHARS", 10)
    text_file = tmp_path / "text.txt"
    text_file.write_text(f"{ENGLISH} {ENGLISH} Привет.", encoding="utf-8")
    result = _say(voice, text_file, tmp_path / "out.wav")
    assert result.exit_code == 1 and result.output.startswith("error: "), result.output
    assert "speaking:" not in result.output
    assert not list(tmp_path.glob("*.wav")) and not list(tmp_path.glob(".*partial"))


def test_writing_ten_minutes_holds_one_chunk_in_memory(tmp_path):
    chunk = np.zeros(RATE, dtype=np.float32)  # 88 kB a second; 600 of them are 53 MB
    tracemalloc.start()
    try:
        seconds = write_chunks((chunk.copy() for _ in range(600)), tmp_path / "long.wav", RATE)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seconds == 600
    assert peak < 2_000_000
    assert soundfile.info(tmp_path / "long.wav").frames == 600 * RATE


def test_the_bar_counts_sentences_toward_their_total_and_the_last_line_says_how_long(voice, tmp_path, monkeypatch):
    monkeypatch.setattr(long_text, "LONG_TEXT_CHARS", 10)
    text_file = tmp_path / "text.txt"
    text_file.write_text(" ".join([ENGLISH] * 3), encoding="utf-8")  # two sentences each
    result = _say(voice, text_file, tmp_path / "out.wav")
    assert result.exit_code == 0, result.output
    assert re.search(r"speaking: 100%.*6/6 \[\d\d:\d\d<00:00", result.stderr), result.stderr  # total and time left
    assert re.fullmatch(rf"wrote {re.escape(str(tmp_path / 'out.wav'))} \(.* 6 sentences\) in \d+\.\d s", result.stdout.strip())


def test_a_stream_reports_each_sentence_once_it_is_spoken(voice):
    spoken: list[int] = []
    chunks = Voice.load(voice).stream(" ".join([ENGLISH] * 2), seed=1, on_sentence=lambda: spoken.append(len(taken)))
    taken = []
    for chunk in chunks:
        taken.append(chunk)
    assert len(spoken) == 4 and spoken[-1] == len(taken)  # after the last sentence's last chunk
    assert spoken == sorted(set(spoken))  # once each, in order
