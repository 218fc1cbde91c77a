"""Posterior encoder: mel spectrogram -> latent distribution q(z | audio)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from polyvox.config import PosteriorEncoderConfig
from polyvox.models.wavenet import WaveNet


@dataclass
class PosteriorOutput:
    latent: Tensor  # (batch, inter_channels, frames), a sample of q(z | audio)
    means: Tensor  # (batch, inter_channels, frames)
    log_scales: Tensor  # (batch, inter_channels, frames)


class PosteriorEncoder(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, config: PosteriorEncoderConfig, speaker_channels: int) -> None:
        super().__init__()
        self.out_channels = out_channels
        self.input_projection = nn.Conv1d(in_channels, config.hidden_channels, 1)
        self.wavenet = WaveNet(config.hidden_channels, config.kernel_size, config.dilation_rate, config.n_layers, speaker_channels)
        self.output_projection = nn.Conv1d(config.hidden_channels, 2 * out_channels, 1)

    def forward(
        self, mel: Tensor, frame_mask: Tensor, speaker_embedding: Tensor | None = None, noise_scale: float = 1.0
    ) -> PosteriorOutput:
        """mel (batch, n_mels, frames), frame_mask (batch, 1, frames)."""
        hidden = self.input_projection(mel) * frame_mask
        hidden = self.wavenet(hidden, frame_mask, speaker_embedding)
        stats = self.output_projection(hidden) * frame_mask
        means, log_scales = torch.split(stats, self.out_channels, dim=1)
        latent = (means + torch.randn_like(means) * noise_scale * torch.exp(log_scales)) * frame_mask
        return PosteriorOutput(latent=latent, means=means, log_scales=log_scales)
