"""A long recording read, cleaned and judged in many small blocks gives the clips the whole file gives
in one block: the blocks only bound memory."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import soundfile

from polyvox.audio.io import resample
from polyvox.prepare import AudioSettings
from polyvox.prepare import audio_cleaning, voice_activity
from polyvox.prepare.audio_cleaning import clean_recording
from polyvox.prepare.inputs import SourceRecording
from polyvox.prepare.source_processing import SourceResult, process_source
from prepare_helpers import LongRecording, write_long_recording

# Odd sizes: blocks end inside clipping bins, resampler filter spans and voice-activity frames.
SMALL_READ_FRAMES = 10_007
SMALL_VAD_SAMPLES = 7_001


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory, engine: object) -> LongRecording:
    return write_long_recording(engine, tmp_path_factory.mktemp("blocks") / "talk.wav", count=6)  # type: ignore[arg-type]


def _prepared(recording: LongRecording, out: Path) -> SourceResult:
    source = SourceRecording(str(recording.path), "speaker", "en", "\n".join(recording.sentences))
    return process_source(source, AudioSettings(), str(out / "wavs"))


def test_small_blocks_give_the_same_clips(tmp_path: Path, recording: LongRecording, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = _prepared(recording, tmp_path / "whole")
    monkeypatch.setattr(audio_cleaning, "BLOCK_FRAMES", SMALL_READ_FRAMES)
    monkeypatch.setattr(voice_activity, "BLOCK_SAMPLES", SMALL_VAD_SAMPLES)
    blocks = _prepared(recording, tmp_path / "blocks")

    assert whole.problem is None and len(whole.clips) == len(recording.sentences)
    assert blocks.steps == whole.steps
    fields = ("text", "start_s", "end_s", "duration", "snr_db", "clipped_fraction")
    assert [[getattr(clip, name) for name in fields] for clip in blocks.clips] == [[getattr(clip, name) for name in fields] for clip in whole.clips]
    for mine, theirs in zip(blocks.clips, whole.clips):
        np.testing.assert_allclose(mine.envelope, theirs.envelope, atol=1e-3)
        np.testing.assert_allclose(soundfile.read(mine.audio)[0], soundfile.read(theirs.audio)[0], atol=1e-6)
    # The signal's temporary file is unnamed: nothing is left beside the clips.
    assert [path.name for path in (tmp_path / "blocks").iterdir()] == ["wavs"]


def test_the_cleaned_signal_is_the_whole_file_cleaned_at_once(tmp_path: Path, recording: LongRecording, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(audio_cleaning, "BLOCK_FRAMES", SMALL_READ_FRAMES)
    settings = AudioSettings()
    stereo, rate = soundfile.read(str(recording.path), dtype="float32", always_2d=True)
    expected = resample(stereo.mean(axis=1, dtype=np.float32), rate, settings.sample_rate)
    with clean_recording(recording.path, settings, tmp_path) as cleaned:
        signal = cleaned.signal[:]
        assert cleaned.signal.gain != 1.0  # loudness normalised: applied as the signal is read
        np.testing.assert_allclose(signal, expected * np.float32(cleaned.signal.gain), rtol=1e-6, atol=1e-7)
        clipped = (np.abs(stereo) >= 0.99).any(axis=1)
        assert cleaned.clipped_per_bin.sum() == clipped.sum() > 0
    unchanged = dataclasses.replace(settings, target_lufs=None)
    with clean_recording(recording.path, unchanged, tmp_path) as cleaned:
        np.testing.assert_array_equal(cleaned.signal[:], expected)
