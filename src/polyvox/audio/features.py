"""Spectrogram features as modules: the window and mel filter bank are buffers, never globals."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from polyvox.audio import numpy_mel
from polyvox.audio.numpy_mel import LOG_FLOOR
from polyvox.config import AudioConfig
from polyvox.models.full_precision import float32_region

__all__ = ["LOG_FLOOR", "MelSpectrogram", "mel_filter_bank"]


def mel_filter_bank(config: AudioConfig) -> Tensor:
    """Slaney-normalised triangular filters, shape (n_mels, n_freqs): the ONNX engine's numpy bank, one copy of it."""
    return torch.from_numpy(numpy_mel.mel_filter_bank(config))


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
