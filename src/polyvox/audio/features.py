"""Spectrogram features as modules: the window and mel filter bank are buffers, never globals."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from polyvox.config import AudioConfig
from polyvox.models.full_precision import float32_region

# Floor before the log so silence gives a finite, fixed value instead of -inf.
LOG_FLOOR = 1e-5


def _hz_to_mel(hz: Tensor) -> Tensor:
    # Slaney-style mel scale: linear below 1 kHz, logarithmic above (what librosa uses by default).
    f_sp = 200.0 / 3
    min_log_hz = 1000.0
    logstep = math.log(6.4) / 27.0
    linear = hz / f_sp
    log_part = min_log_hz / f_sp + torch.log(torch.clamp(hz, min=min_log_hz) / min_log_hz) / logstep
    return torch.where(hz >= min_log_hz, log_part, linear)


def _mel_to_hz(mel: Tensor) -> Tensor:
    f_sp = 200.0 / 3
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = math.log(6.4) / 27.0
    return torch.where(mel >= min_log_mel, min_log_hz * torch.exp(logstep * (mel - min_log_mel)), f_sp * mel)


def mel_filter_bank(config: AudioConfig) -> Tensor:
    """Slaney-normalised triangular filters, shape (n_mels, n_freqs)."""
    freqs = torch.linspace(0, config.sample_rate / 2, config.n_freqs, dtype=torch.float64)
    mel_points = torch.linspace(
        float(_hz_to_mel(torch.tensor(config.mel_fmin, dtype=torch.float64))),
        float(_hz_to_mel(torch.tensor(config.mel_fmax, dtype=torch.float64))),
        config.n_mels + 2,
        dtype=torch.float64,
    )
    hz_points = _mel_to_hz(mel_points)
    lower, center, upper = hz_points[:-2, None], hz_points[1:-1, None], hz_points[2:, None]
    rising = (freqs[None] - lower) / (center - lower)
    falling = (upper - freqs[None]) / (upper - center)
    filters = torch.clamp(torch.minimum(rising, falling), min=0.0)
    filters *= (2.0 / (upper - lower))  # equal area per filter
    return filters.float()


class MelSpectrogram(nn.Module):
    """Waveform (batch, samples) -> log-mel (batch, n_mels, frames), frames = samples // hop."""

    def __init__(self, config: AudioConfig) -> None:
        super().__init__()
        self.config = config
        self.register_buffer("window", torch.hann_window(config.win_length), persistent=False)
        self.register_buffer("mel_basis", mel_filter_bank(config), persistent=False)

    def magnitude(self, waveform: Tensor) -> Tensor:
        """Linear magnitude (batch, n_freqs, frames), centred so frame t covers sample t*hop."""
        config = self.config
        pad = (config.n_fft - config.hop_length) // 2
        padded = nn.functional.pad(waveform.unsqueeze(1), (pad, pad), mode="reflect" if waveform.shape[-1] > pad else "constant")
        spectrum = torch.stft(
            padded.squeeze(1),
            n_fft=config.n_fft,
            hop_length=config.hop_length,
            win_length=config.win_length,
            window=self.window,
            center=False,
            return_complex=True,
        )
        return torch.sqrt(spectrum.real.pow(2) + spectrum.imag.pow(2) + 1e-9)

    def forward(self, waveform: Tensor) -> Tensor:
        if waveform.dim() == 3:
            waveform = waveform.squeeze(1)
        frames = waveform.shape[-1] // self.config.hop_length
        # After centring pads, max(frames, 1) * hop samples give exactly that many STFT frames.
        needed = max(frames, 1) * self.config.hop_length
        if waveform.shape[-1] < needed:
            waveform = nn.functional.pad(waveform, (0, needed - waveform.shape[-1]))
        with float32_region(waveform):
            mel = torch.matmul(self.mel_basis, self.magnitude(waveform.float()))
            return torch.log(torch.clamp(mel, min=LOG_FLOOR))[..., :frames]
