"""``MelSpectrogram`` without torch: the log-mel a voice's style encoder reads, for the ONNX engine.

The filter bank (Slaney mel scale and area normalisation, built in float64, stored as float32) is built here for
both (``features.MelSpectrogram`` takes it as a buffer); the periodic Hann window, centring pads and log floor are
``MelSpectrogram``'s. The spectrum is taken in float64 by numpy's rfft, so the log-mel agrees with torch's float32 STFT
to float32 rounding (within 1e-6).
"""

from __future__ import annotations

import math

import numpy as np

from polyvox.config import AudioConfig

# Floor before the log so silence gives a finite, fixed value instead of -inf.
LOG_FLOOR = 1e-5
# The Slaney mel scale (librosa's default, and features.py's): linear below 1 kHz, logarithmic above.
_LINEAR_HZ_PER_MEL = 200.0 / 3
_MIN_LOG_HZ = 1000.0
_LOG_STEP = math.log(6.4) / 27.0
# Added under the square root of the power, as MelSpectrogram.magnitude does (a finite gradient at zero there).
_POWER_FLOOR = 1e-9


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    log_part = _MIN_LOG_HZ / _LINEAR_HZ_PER_MEL + np.log(np.maximum(hz, _MIN_LOG_HZ) / _MIN_LOG_HZ) / _LOG_STEP
    return np.where(hz >= _MIN_LOG_HZ, log_part, hz / _LINEAR_HZ_PER_MEL)


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    min_log_mel = _MIN_LOG_HZ / _LINEAR_HZ_PER_MEL
    return np.where(mel >= min_log_mel, _MIN_LOG_HZ * np.exp(_LOG_STEP * (mel - min_log_mel)), _LINEAR_HZ_PER_MEL * mel)


def mel_filter_bank(config: AudioConfig) -> np.ndarray:
    """Slaney-normalised triangular filters (n_mels, n_freqs), float32."""
    freqs = np.linspace(0, config.sample_rate / 2, config.n_freqs, dtype=np.float64)
    edges = _hz_to_mel(np.array([config.mel_fmin, config.mel_fmax], dtype=np.float64))
    hz_points = _mel_to_hz(np.linspace(edges[0], edges[1], config.n_mels + 2, dtype=np.float64))
    lower, center, upper = hz_points[:-2, None], hz_points[1:-1, None], hz_points[2:, None]
    rising = (freqs[None] - lower) / (center - lower)
    falling = (upper - freqs[None]) / (upper - center)
    filters = np.maximum(np.minimum(rising, falling), 0.0) * (2.0 / (upper - lower))  # equal area per filter
    return filters.astype(np.float32)


class NumpyMelSpectrogram:
    """Waveform (samples,) -> log-mel (n_mels, frames) float32, frames = samples // hop, as ``MelSpectrogram``."""

    def __init__(self, config: AudioConfig) -> None:
        self.config = config
        # torch.hann_window (periodic, float32) centred in n_fft as torch.stft pads a shorter window.
        periodic = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(config.win_length) / config.win_length)
        left = (config.n_fft - config.win_length) // 2
        self.window = np.zeros(config.n_fft)
        self.window[left : left + config.win_length] = periodic.astype(np.float32)
        self.mel_basis = mel_filter_bank(config).astype(np.float64)

    def magnitude(self, samples: np.ndarray) -> np.ndarray:
        """Linear magnitude (n_freqs, stft_frames), centred so frame t covers sample t*hop."""
        config = self.config
        pad = (config.n_fft - config.hop_length) // 2
        padded = np.pad(samples.astype(np.float64), pad, mode="reflect" if len(samples) > pad else "constant")
        count = 1 + (len(padded) - config.n_fft) // config.hop_length
        starts = np.arange(count)[:, None] * config.hop_length
        spectrum = np.fft.rfft(padded[starts + np.arange(config.n_fft)[None, :]] * self.window, axis=1).T
        return np.sqrt(spectrum.real**2 + spectrum.imag**2 + _POWER_FLOOR)

    def __call__(self, samples: np.ndarray) -> np.ndarray:
        samples = np.asarray(samples, dtype=np.float32).reshape(-1)
        frames = len(samples) // self.config.hop_length
        # After centring pads, max(frames, 1) * hop samples give exactly that many STFT frames.
        needed = max(frames, 1) * self.config.hop_length
        samples = np.pad(samples, (0, max(0, needed - len(samples))))
        mel = self.mel_basis @ self.magnitude(samples)
        return np.log(np.maximum(mel, LOG_FLOOR))[:, :frames].astype(np.float32)
