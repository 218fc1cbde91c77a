"""#24 items 12, 13, 18 and the 'Also' line: bad audio in and out is one line (or one skipped file), never a traceback."""

from __future__ import annotations

import errno
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile
from typer.testing import CliRunner

from polyvox.audio import io
from polyvox.audio.io import AudioError, load_audio, save_audio
from polyvox.audio.wav_header import missing_wav_bytes
from polyvox.cli import app
from polyvox.data.manifest import read_manifest
from robustness_helpers import one_error_line

RATE = 22050


def _speech(seconds: float) -> np.ndarray:
    time = np.arange(int(RATE * seconds)) / RATE
    return (0.3 * np.sin(2 * np.pi * 180 * time) * (1 + np.sin(2 * np.pi * 3 * time))).astype(np.float32)


@pytest.fixture()
def truncated_wav(tmp_path) -> Path:
    path = tmp_path / "truncated.wav"
    soundfile.write(path, _speech(1.0), RATE)
    content = path.read_bytes()
    path.write_bytes(content[: len(content) // 2])
    return path


def test_a_reference_full_of_nan_is_one_line(tmp_path):
    reference = tmp_path / "nan.wav"
    soundfile.write(reference, np.full(RATE, np.nan, dtype=np.float32), RATE, subtype="FLOAT")
    result = CliRunner().invoke(app, ["say", "Hello there.", "--reference", str(reference), "-o", str(tmp_path / "out.wav")])
    assert "nan.wav contains NaN or infinite samples" in one_error_line(result)


def test_a_truncated_wav_is_refused_not_used_as_a_shorter_clip(truncated_wav, tmp_path):
    assert missing_wav_bytes(truncated_wav) > 0
    with pytest.raises(AudioError, match="is truncated: its WAV header promises"):
        load_audio(truncated_wav, RATE)
    result = CliRunner().invoke(app, ["say", "Hello there.", "--reference", str(truncated_wav), "-o", str(tmp_path / "out.wav")])
    assert "truncated.wav is truncated" in one_error_line(result)


def test_complete_and_streamed_wavs_are_not_truncated(tmp_path):
    complete = tmp_path / "complete.wav"
    soundfile.write(complete, _speech(0.5), RATE)
    assert missing_wav_bytes(complete) == 0
    streamed = tmp_path / "streamed.wav"
    content = bytearray(complete.read_bytes())
    data = content.index(b"data")
    content[data + 4 : data + 8] = b"\xff\xff\xff\xff"  # an unknown length, as streaming writers leave it
    streamed.write_bytes(bytes(content))
    assert missing_wav_bytes(streamed) == 0


def test_a_truncated_training_clip_is_skipped_as_unreadable(truncated_wav, tmp_path):
    from polyvox.config import preset
    from polyvox.data.data_report import UNREADABLE
    from polyvox.data.features_cache import FeatureCache
    from polyvox.data.manifest import Utterance

    config = preset("tiny")
    cache = FeatureCache(tmp_path / "cache", config.audio, config.training.silence_rms_threshold)
    usable, skipped = cache.ensure([Utterance(str(truncated_wav), "hello", "s", "en", 1.0)], progress=False)
    assert usable == [] and [clip.reason for clip in skipped] == [UNREADABLE]


def test_a_clip_of_ten_milliseconds_is_reported_and_the_rest_prepared(tmp_path):
    folder = tmp_path / "recordings"
    folder.mkdir()
    soundfile.write(folder / "speech.wav", _speech(2.0), RATE)
    (folder / "speech.txt").write_text("Hello there, how are you?", encoding="utf-8")  # without any text prepare stops
    soundfile.write(folder / "blip.wav", _speech(0.01), RATE)
    out = tmp_path / "prepared"
    result = CliRunner().invoke(app, ["prepare", str(folder), "-o", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "prepare_report.json").read_text())
    assert [(Path(entry["source"]).name, entry["reason"]) for entry in report["unusable_recordings"]] == [("blip.wav", "empty audio")]
    assert report["clips_written"] == 1
    assert (out / "manifest.jsonl").is_file()
    read_manifest(out / "manifest.jsonl")


def test_an_output_format_that_cannot_be_written_names_the_ones_that_can(tmp_path):
    result = CliRunner().invoke(app, ["say", "Hello", "-o", str(tmp_path / "out.mp3")])
    assert "polyvox writes .wav, .flac" in one_error_line(result)
    assert not list(tmp_path.iterdir())


def test_a_full_disk_names_the_path_and_the_space_needed(tmp_path, monkeypatch):
    def fail(*_args, **_kwargs):
        raise soundfile.LibsndfileError(0, "System error.")

    monkeypatch.setattr(soundfile, "write", fail)
    monkeypatch.setattr(io, "_space_left", lambda folder: 1000)
    with pytest.raises(AudioError) as raised:
        save_audio(tmp_path / "out.wav", _speech(1.0), RATE)
    message = str(raised.value)
    assert message.startswith(f"cannot write {tmp_path / 'out.wav'}: no space left on the device")
    assert "about 88 kB needed" in message
    assert not list(tmp_path.iterdir())


def test_a_truncated_wav_in_a_prepare_folder_is_reported(truncated_wav, tmp_path):
    folder = tmp_path / "recordings"
    folder.mkdir()
    shutil.move(truncated_wav, folder / "truncated.wav")
    soundfile.write(folder / "speech.wav", _speech(2.0), RATE)
    (folder / "speech.txt").write_text("Hello there, how are you?", encoding="utf-8")  # without any text prepare stops
    out = tmp_path / "prepared"
    result = CliRunner().invoke(app, ["prepare", str(folder), "-o", str(out)])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "prepare_report.json").read_text())
    unusable = {Path(entry["source"]).name: entry["detail"] for entry in report["unusable_recordings"]}
    assert "is truncated" in unusable["truncated.wav"]


def test_a_long_reference_is_read_only_up_to_its_first_30_seconds(tmp_path):
    from polyvox.inference.reference import MAX_REFERENCE_S

    path = tmp_path / "long.wav"
    with soundfile.SoundFile(path, "w", RATE, 1, "PCM_16") as sink:
        for _ in range(45):
            sink.write(_speech(1.0))
    assert load_audio(path, RATE, max_seconds=MAX_REFERENCE_S).size == int(MAX_REFERENCE_S * RATE)
    assert load_audio(path, RATE).size == 45 * RATE


@pytest.mark.parametrize("seconds", [0.9, 3.3, 61.7])
def test_block_by_block_loudness_is_pyloudnorms(seconds):
    import pyloudnorm

    from polyvox.prepare.loudness import integrated_loudness

    rng = np.random.default_rng(0)
    samples = (rng.standard_normal(int(RATE * seconds)) * 0.1).astype(np.float32) * _speech(seconds)[: int(RATE * seconds)]
    expected = pyloudnorm.Meter(RATE).integrated_loudness(samples.astype(np.float64))
    assert integrated_loudness(samples, RATE) == pytest.approx(expected, abs=1e-9)


def test_loudness_of_ten_minutes_needs_memory_for_one_chunk():
    import tracemalloc

    from polyvox.prepare.loudness import integrated_loudness

    samples = np.tile(_speech(1.0), 600)  # 53 MB of float32; pyloudnorm copies it to float64 several times
    tracemalloc.start()
    try:
        integrated_loudness(samples, RATE)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 30_000_000


def test_a_clip_longer_than_max_clip_s_is_skipped_from_its_header(tmp_path, monkeypatch):
    from polyvox.config import preset
    from polyvox.data.data_report import TOO_LONG
    from polyvox.data.features_cache import FeatureCache
    from polyvox.data.manifest import Utterance

    path = tmp_path / "long.wav"
    soundfile.write(path, _speech(2.0), RATE)
    config = preset("tiny")
    cache = FeatureCache(tmp_path / "cache", config.audio, config.training.silence_rms_threshold, max_clip_s=1.5)
    from polyvox.data import features_cache

    monkeypatch.setattr(features_cache, "load_audio", lambda *args, **kwargs: pytest.fail("a clip over the limit must not be read"))
    usable, skipped = cache.ensure([Utterance(str(path), "hello", "s", "en", 2.0)], progress=False)
    assert usable == [] and [(clip.reason, "2.0 s long" in clip.detail) for clip in skipped] == [(TOO_LONG, True)]
