"""Reference encoder: the log-mel spectrogram of a reference clip -> a timbre vector.

The vector lives in the speaker table's space (it is trained to reproduce the trained speakers'
rows), so it can stand in for a speaker row anywhere the generator takes one: synthesis in the
reference's voice without fine-tuning, in any language the voice speaks, or the first value of a new
speaker's row before fine-tuning. Statistics pooling (masked mean and standard deviation over time)
makes it independent of the clip's length and of what is said.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from polyvox.config import ReferenceEncoderConfig
from polyvox.models.layers import LayerNorm


# Log-mel values of speech sit around -5 +- 3 (the floor is log(1e-5) = -11.5): centred and scaled, the
# encoder trains in a tenth of the steps.
MEL_CENTER = -5.0
MEL_SCALE = 3.0


class ReferenceEncoder(nn.Module):
    def __init__(self, n_mels: int, speaker_channels: int, config: ReferenceEncoderConfig) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = n_mels
        for _ in range(config.n_layers):
            layers += [
                nn.Conv1d(channels, config.hidden_channels, config.kernel_size, padding=config.kernel_size // 2),
                nn.ReLU(),
                # Per frame over channels: a norm over time would let padding change a clip's vector.
                LayerNorm(config.hidden_channels),
            ]
            channels = config.hidden_channels
        self.convolutions = nn.Sequential(*layers)
        self.projection = nn.Sequential(
            nn.Linear(2 * config.hidden_channels, config.hidden_channels),
            nn.ReLU(),
            nn.Linear(config.hidden_channels, speaker_channels),
        )

    def forward(self, mel: Tensor, frame_mask: Tensor) -> Tensor:
        """mel (batch, n_mels, frames), frame_mask (batch, 1, frames) -> (batch, speaker_channels)."""
        # Every conv sees zeros past the clip's end, so padding in a batch does not change a clip's vector.
        hidden = (mel - MEL_CENTER) / MEL_SCALE * frame_mask
        for layer in self.convolutions:
            hidden = layer(hidden)
            if isinstance(layer, nn.Conv1d):
                hidden = hidden * frame_mask
        count = frame_mask.sum(dim=2).clamp(min=1.0)
        mean = (hidden * frame_mask).sum(dim=2) / count
        variance = ((hidden - mean.unsqueeze(-1)).pow(2) * frame_mask).sum(dim=2) / count
        pooled = torch.cat([mean, torch.sqrt(variance + 1e-5)], dim=1)
        return self.projection(pooled)
