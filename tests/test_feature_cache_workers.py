"""The feature cache built by several processes is the one one process builds (#23 item 3)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile

from polyvox.config import AudioConfig
from polyvox.data.data_report import EMPTY, SILENT
from polyvox.data.features_cache import WORKER_CHUNK, FeatureCache
from polyvox.data.manifest import Utterance


def clips(folder: Path, count: int) -> list[Utterance]:
    generator = np.random.default_rng(0)
    utterances = []
    for index in range(count):
        path = folder / f"clip_{index}.wav"
        if index == 5:
            samples = np.zeros(4000, dtype=np.float32)  # silent
        else:
            samples = 0.1 * generator.standard_normal(2000 + 37 * index).astype(np.float32)
        soundfile.write(path, samples, 22050)
        utterances.append(Utterance(audio=str(path), text="a", speaker="s", language="en", duration=len(samples) / 22050))
    (folder / "clip_7.wav").write_bytes(b"")  # empty
    return utterances


def test_two_processes_cache_the_same_features_and_skip_the_same_clips(tmp_path: Path) -> None:
    (tmp_path / "audio").mkdir()
    utterances = clips(tmp_path / "audio", 2 * WORKER_CHUNK + 3)
    audio = AudioConfig()
    one = FeatureCache(tmp_path / "one", audio)
    two = FeatureCache(tmp_path / "two", audio)
    usable_one, skipped_one = one.ensure(utterances, progress=False)
    usable_two, skipped_two = two.ensure(utterances, progress=False, workers=2)
    assert usable_two == usable_one and len(usable_one) == len(utterances) - 2
    assert [(clip.audio, clip.reason) for clip in skipped_two] == [(clip.audio, clip.reason) for clip in skipped_one]
    assert {clip.reason for clip in skipped_one} == {SILENT, EMPTY}
    for utterance in usable_one:
        waveform_one, mel_one = one.load(utterance)
        waveform_two, mel_two = two.load(utterance)
        assert np.array_equal(waveform_one, waveform_two) and np.allclose(mel_one, mel_two, atol=1e-6)
    # A second pass finds everything cached and computes nothing.
    stamps = {path: path.stat().st_mtime_ns for path in (tmp_path / "two").glob("*.npz")}
    assert two.ensure(utterances, progress=False, workers=2)[0] == usable_one
    assert {path: path.stat().st_mtime_ns for path in (tmp_path / "two").glob("*.npz")} == stamps
