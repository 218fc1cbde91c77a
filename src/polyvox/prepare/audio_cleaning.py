"""Reading one recording and cleaning it: down-mix, resample (soxr), optional noise reduction
(noisereduce), loudness normalisation (pyloudnorm). Clipping is measured on the original samples."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from polyvox.audio.io import AudioError, resample
from polyvox.audio.wav_header import truncation_problem
from polyvox.prepare.loudness import integrated_loudness
from polyvox.prepare.settings import AudioSettings

# A sample this close to full scale, in any channel, counts as clipped.
CLIP_LEVEL = 0.99
# Clipped samples are counted per bin of this length, so a clip's share can be looked up by time.
CLIP_BIN_S = 0.01
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
    """Mono float32 ``samples`` at ``sample_rate``; ``clipped_per_bin`` counts full-scale samples of
    the original per ``CLIP_BIN_S``; ``steps`` maps each step done to its detail."""

    samples: np.ndarray
    sample_rate: int
    source_rate: int
    channels: int
    clipped_per_bin: np.ndarray
    steps: dict[str, str] = field(default_factory=dict)

    def clipped_fraction(self, start_s: float, end_s: float) -> float:
        """Share of the original's samples in ``[start_s, end_s)`` that are at full scale."""
        first, last = int(start_s / CLIP_BIN_S), max(int(np.ceil(end_s / CLIP_BIN_S)), int(start_s / CLIP_BIN_S) + 1)
        clipped = float(self.clipped_per_bin[first:last].sum())
        return clipped / max(1.0, (end_s - start_s) * self.source_rate)


def read_recording(path: str | Path) -> tuple[np.ndarray, int]:
    """``(samples (frames, channels) float32, rate)`` of any format libsndfile reads (wav, flac, ogg, mp3)."""
    import soundfile

    try:
        samples, rate = soundfile.read(str(path), dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, OSError) as error:
        raise AudioError(f"cannot read {path}: {error}; convert it to WAV or FLAC") from error
    if samples.shape[0] == 0:
        raise AudioError(f"{path} contains no samples")
    truncated = truncation_problem(path)
    if truncated is not None:
        raise AudioError(truncated)
    return samples, int(rate)


def count_clipped(samples: np.ndarray, rate: int) -> np.ndarray:
    """Full-scale samples (any channel) per ``CLIP_BIN_S`` bin."""
    clipped = np.zeros(samples.shape[0], dtype=bool)
    # Channel by channel: numpy reduces slowly along a short inner axis.
    for channel in range(samples.shape[1]):
        column = samples[:, channel]
        clipped |= column >= CLIP_LEVEL  # two comparisons, not np.abs: no float copy of an hour-long recording
        clipped |= column <= -CLIP_LEVEL
    bin_size = max(1, int(round(rate * CLIP_BIN_S)))
    bins = -(-clipped.size // bin_size)
    padded = np.zeros(bins * bin_size, dtype=bool)
    padded[: clipped.size] = clipped
    return padded.reshape(bins, bin_size).sum(axis=1).astype(np.int32)


def clean_recording(path: str | Path, settings: AudioSettings) -> CleanedRecording:
    samples, rate = read_recording(path)
    steps: dict[str, str] = {}
    clipped = count_clipped(samples, rate)
    channels = samples.shape[1]
    mono = samples.mean(axis=1, dtype=np.float32) if channels > 1 else samples[:, 0]
    if channels > 1:
        steps[DOWNMIXED] = f"{channels} channels"
    if rate != settings.sample_rate:
        mono = resample(mono, rate, settings.sample_rate)
        steps[RESAMPLED] = f"{rate} -> {settings.sample_rate} Hz"
    if settings.denoise:
        mono = reduce_noise(mono, settings.sample_rate)
        steps[DENOISED] = "stationary spectral gating"
    if settings.target_lufs is not None:
        mono = normalise_loudness(mono, settings.sample_rate, settings.target_lufs, steps)
    return CleanedRecording(np.ascontiguousarray(mono, dtype=np.float32), settings.sample_rate, rate, channels, clipped, steps)


def reduce_noise(samples: np.ndarray, rate: int) -> np.ndarray:
    import noisereduce

    # Stationary: the noise profile comes from the whole recording (hum, hiss), which is what the
    # pauses of a speech recording contain; n_jobs=1 because files are already processed in parallel.
    cleaned = noisereduce.reduce_noise(y=samples, sr=rate, stationary=True, n_jobs=1)
    return np.asarray(cleaned, dtype=np.float32)


def normalise_loudness(samples: np.ndarray, rate: int, target_lufs: float, steps: dict[str, str]) -> np.ndarray:
    """Gain to ``target_lufs`` integrated loudness, limited so that peaks stay below ``PEAK_LIMIT``."""
    import pyloudnorm

    meter = pyloudnorm.Meter(rate)
    if samples.size <= meter.block_size * rate:
        steps[LOUDNESS_SKIPPED] = f"shorter than the {meter.block_size} s loudness block"
        return samples
    loudness = integrated_loudness(samples, rate)  # block by block: bounded memory for long recordings
    if not np.isfinite(loudness):
        steps[LOUDNESS_SKIPPED] = "silent"
        return samples
    gain = 10 ** ((target_lufs - loudness) / 20)
    peak = max(float(samples.max()), -float(samples.min())) * gain
    if peak > PEAK_LIMIT:
        gain *= PEAK_LIMIT / peak
        steps[PEAK_LIMITED] = f"{20 * np.log10(PEAK_LIMIT / peak):.1f} dB below the target"
    steps[LOUDNESS] = f"{loudness:.1f} -> {target_lufs:.1f} LUFS"
    return samples * np.float32(gain)  # float32 already: no second copy of a long recording
