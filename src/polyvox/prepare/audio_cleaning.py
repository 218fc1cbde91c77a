"""Reading one recording and cleaning it: down-mix, resample (soxr), optional noise reduction
(noisereduce), loudness normalisation (pyloudnorm). Clipping is measured on the original samples.

The recording is read ``BLOCK_FRAMES`` at a time and the cleaned signal goes to a temporary file
(``SignalFile``), so memory stays bounded however long it is; only noise reduction takes the whole
signal into memory (its noise profile is estimated from all of it)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

import numpy as np

from polyvox.audio.block_resample import resampled_blocks
from polyvox.audio.io import AudioError
from polyvox.audio.wav_header import truncation_problem
from polyvox.prepare.clipping import CLIP_BIN_S, ClipCounter
from polyvox.prepare.loudness import integrated_loudness
from polyvox.prepare.settings import AudioSettings
from polyvox.prepare.signal_file import Samples, SignalFile

if TYPE_CHECKING:
    from soundfile import SoundFile

# Frames read from the recording at a time (about 24 s at 44.1 kHz; 8 MB as float32 stereo).
BLOCK_FRAMES = 1 << 20
# After the loudness gain, peaks are kept below this so that normalising never clips.
PEAK_LIMIT = 0.99

# Step names, as counted in the report.
RESAMPLED = "resampled"
DOWNMIXED = "down-mixed"
LOUDNESS = "loudness normalised"
LOUDNESS_SKIPPED = "loudness left alone"
PEAK_LIMITED = "gain limited by peaks"
DENOISED = "noise reduced"


@dataclass
class CleanedRecording:
    """Mono ``signal`` at ``sample_rate`` (a temporary file: close the recording when done with it);
    ``clipped_per_bin`` counts full-scale samples of the original per ``CLIP_BIN_S``; ``steps`` maps
    each step done to its detail."""

    signal: SignalFile
    source_rate: int
    channels: int
    clipped_per_bin: np.ndarray
    steps: dict[str, str] = field(default_factory=dict)

    @property
    def sample_rate(self) -> int:
        return self.signal.rate

    def clipped_fraction(self, start_s: float, end_s: float) -> float:
        """Share of the original's samples in ``[start_s, end_s)`` that are at full scale."""
        first, last = int(start_s / CLIP_BIN_S), max(int(np.ceil(end_s / CLIP_BIN_S)), int(start_s / CLIP_BIN_S) + 1)
        clipped = float(self.clipped_per_bin[first:last].sum())
        return clipped / max(1.0, (end_s - start_s) * self.source_rate)

    def __enter__(self) -> CleanedRecording:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None) -> None:
        self.signal.close()


def clean_recording(path: str | Path, settings: AudioSettings, scratch_dir: str | Path | None = None) -> CleanedRecording:
    """The cleaned recording, its signal in a temporary file in ``scratch_dir`` (the system's temporary folder by default)."""
    signal = SignalFile(settings.sample_rate, scratch_dir)
    try:
        rate, channels, clipped = _read_into(path, signal)
        steps: dict[str, str] = {}
        if channels > 1:
            steps[DOWNMIXED] = f"{channels} channels"
        if rate != settings.sample_rate:
            steps[RESAMPLED] = f"{rate} -> {settings.sample_rate} Hz"
        if settings.denoise:
            signal.replace(reduce_noise(signal[:], settings.sample_rate))  # whole signal in memory: see reduce_noise
            steps[DENOISED] = "stationary spectral gating"
        if settings.target_lufs is not None:
            signal.gain = loudness_gain(signal, settings.sample_rate, settings.target_lufs, steps, signal.peak)
        return CleanedRecording(signal, rate, channels, clipped, steps)
    except BaseException:
        signal.close()
        raise


def _read_into(path: str | Path, signal: SignalFile) -> tuple[int, int, np.ndarray]:
    """Read any format libsndfile reads (wav, flac, ogg, mp3) block by block, down-mixed and resampled,
    into ``signal``; ``(rate, channels, clipped samples per bin)`` of the original."""
    import soundfile

    try:
        with soundfile.SoundFile(str(path)) as audio:
            counter = ClipCounter(audio.samplerate)
            for block in resampled_blocks(_mono_blocks(audio, counter), audio.samplerate, signal.rate):
                signal.append(block)
            rate, channels = int(audio.samplerate), int(audio.channels)
    except (soundfile.LibsndfileError, RuntimeError, OSError) as error:
        raise AudioError(f"cannot read {path}: {error}; convert it to WAV or FLAC") from error
    if counter.frames == 0:
        raise AudioError(f"{path} contains no samples")
    truncated = truncation_problem(path)
    if truncated is not None:
        raise AudioError(truncated)
    return rate, channels, counter.per_bin()


def _mono_blocks(audio: SoundFile, counter: ClipCounter) -> Iterator[np.ndarray]:
    """Down-mixed blocks of the open ``soundfile.SoundFile``, each counted for clipping first."""
    while True:
        block = audio.read(BLOCK_FRAMES, dtype="float32", always_2d=True)
        if block.shape[0] == 0:
            return
        counter.add(block)
        yield block.mean(axis=1, dtype=np.float32) if block.shape[1] > 1 else block[:, 0]


def reduce_noise(samples: np.ndarray, rate: int) -> np.ndarray:
    import noisereduce

    # Stationary: the noise profile comes from the whole recording (hum, hiss), which is what the
    # pauses of a speech recording contain; so this step, alone, holds the whole signal in memory.
    # n_jobs=1 because files are already processed in parallel.
    cleaned = noisereduce.reduce_noise(y=samples, sr=rate, stationary=True, n_jobs=1)
    return np.asarray(cleaned, dtype=np.float32)


def loudness_gain(samples: Samples, rate: int, target_lufs: float, steps: dict[str, str], peak: float | None = None) -> float:
    """Gain to ``target_lufs`` integrated loudness, limited so that peaks stay below ``PEAK_LIMIT``
    (``peak``: the largest absolute sample, when already known)."""
    import pyloudnorm

    meter = pyloudnorm.Meter(rate)
    if samples.size <= meter.block_size * rate:
        steps[LOUDNESS_SKIPPED] = f"shorter than the {meter.block_size} s loudness block"
        return 1.0
    loudness = integrated_loudness(samples, rate)  # block by block: bounded memory for long recordings
    if not np.isfinite(loudness):
        steps[LOUDNESS_SKIPPED] = "silent"
        return 1.0
    gain = 10 ** ((target_lufs - loudness) / 20)
    scaled_peak = (float(np.abs(samples[:]).max()) if peak is None else peak) * gain
    if scaled_peak > PEAK_LIMIT:
        gain *= PEAK_LIMIT / scaled_peak
        steps[PEAK_LIMITED] = f"{20 * np.log10(PEAK_LIMIT / scaled_peak):.1f} dB below the target"
    steps[LOUDNESS] = f"{loudness:.1f} -> {target_lufs:.1f} LUFS"
    return float(gain)
