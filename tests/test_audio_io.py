"""Audio loading, resampling, down-mixing and atomic saving."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile

from polyvox.audio.io import AudioError, load_audio, save_audio


def _tone(frequency: float, sample_rate: int, seconds: float = 0.5) -> np.ndarray:
    time = np.arange(int(sample_rate * seconds)) / sample_rate
    return (0.5 * np.sin(2 * np.pi * frequency * time)).astype(np.float32)


def test_round_trip_keeps_samples_within_16_bit_precision(tmp_path: Path) -> None:
    samples = _tone(440.0, 22050)
    path = tmp_path / "tone.wav"
    save_audio(path, samples, 22050)
    assert soundfile.info(str(path)).subtype == "PCM_16"
    loaded = load_audio(path, 22050)
    assert loaded.dtype == np.float32 and loaded.ndim == 1
    assert loaded.shape == samples.shape
    assert np.max(np.abs(loaded - samples)) < 1e-4


def test_resampling_changes_length_and_keeps_the_tone(tmp_path: Path) -> None:
    path = tmp_path / "tone.wav"
    save_audio(path, _tone(440.0, 44100), 44100)
    loaded = load_audio(path, 16000)
    assert loaded.shape == (8000,)
    spectrum = np.abs(np.fft.rfft(loaded))
    peak_hz = np.argmax(spectrum) * 16000 / loaded.size
    assert abs(peak_hz - 440.0) < 5.0


def test_stereo_is_mixed_down_to_mono(tmp_path: Path) -> None:
    left = _tone(440.0, 16000)
    stereo = np.stack([left, np.zeros_like(left)], axis=1)
    path = tmp_path / "stereo.wav"
    soundfile.write(str(path), stereo, 16000, subtype="FLOAT")
    loaded = load_audio(path, 16000)
    assert loaded.ndim == 1
    np.testing.assert_allclose(loaded, left / 2, atol=1e-6)


def test_missing_empty_and_corrupt_files_raise_audio_error(tmp_path: Path) -> None:
    with pytest.raises(AudioError, match="not found"):
        load_audio(tmp_path / "nothing.wav", 16000)
    corrupt = tmp_path / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x00\x00garbage that is not audio")
    with pytest.raises(AudioError, match="cannot read"):
        load_audio(corrupt, 16000)
    empty = tmp_path / "empty.wav"
    soundfile.write(str(empty), np.zeros(0, dtype=np.float32), 16000)
    with pytest.raises(AudioError, match="no samples"):
        load_audio(empty, 16000)
    zero_bytes = tmp_path / "zero.wav"
    zero_bytes.write_bytes(b"")
    with pytest.raises(AudioError):
        load_audio(zero_bytes, 16000)


def test_failed_save_leaves_no_file_behind(tmp_path: Path) -> None:
    path = tmp_path / "out.wav"
    with pytest.raises(AudioError, match="NaN"):
        save_audio(path, np.array([0.0, np.nan], dtype=np.float32), 16000)
    # A writer failure half-way (bad subtype for WAV) must not leave a temp or final file.
    with pytest.raises(AudioError):
        save_audio(path, _tone(440.0, 16000), 16000, subtype="NOT_A_SUBTYPE")
    assert list(tmp_path.iterdir()) == []


def test_save_replaces_an_existing_file_atomically(tmp_path: Path) -> None:
    path = tmp_path / "out.wav"
    save_audio(path, _tone(440.0, 16000), 16000)
    save_audio(path, _tone(220.0, 16000, seconds=0.25), 16000)
    assert soundfile.info(str(path)).frames == 4000
    assert [p.name for p in tmp_path.iterdir()] == ["out.wav"]


def test_unwritable_folder_raises_audio_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(AudioError, match="folder"):
        save_audio(blocker / "out.wav", _tone(440.0, 16000), 16000)
