"""Frame-level prior: the token-level prior's statistics, expanded to frames, refined by convolutions over frames.

The text encoder gives one mean and log-scale per token, so the prior's latent is constant across a phoneme's frames
and whatever moves within it (a Mandarin tone's contour, a diphthong's glide) must come from the flow alone. Here the
text encoder's hidden states, expanded along the same path, pass through residual convolutions over frames (seeing
the token boundaries around each frame) and add a correction to both statistics (config.FramePriorConfig).
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn

from polyvox.config import FramePriorConfig

LEAKY_SLOPE = 0.1


class FramePrior(nn.Module):
    def __init__(self, config: FramePriorConfig, text_channels: int, inter_channels: int, speaker_channels: int) -> None:
        super().__init__()
        self.inter_channels = inter_channels
        self.pre = nn.Conv1d(text_channels, config.hidden_channels, 1)
        self.condition = nn.Conv1d(speaker_channels, config.hidden_channels, 1)
        self.convolutions = nn.ModuleList(
            nn.Conv1d(config.hidden_channels, config.hidden_channels, config.kernel_size, padding=config.kernel_size // 2)
            for _ in range(config.n_layers)
        )
        self.out = nn.Conv1d(config.hidden_channels, 2 * inter_channels, 1)
        # Zero at the start: a voice given a frame prior keeps its prior (and its speech) until training moves it.
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)

    def forward(
        self, frame_hidden: Tensor, means: Tensor, log_scales: Tensor, frame_mask: Tensor, speaker: Tensor
    ) -> tuple[Tensor, Tensor]:
        """frame_hidden (batch, text_channels, frames): the text's hidden states expanded to frames; means and
        log_scales (batch, inter_channels, frames): the token-level prior expanded alike; frame_mask (batch, 1, frames);
        speaker (batch, speaker_channels, 1) -> the refined means and log-scales."""
        hidden = (self.pre(frame_hidden) + self.condition(speaker)) * frame_mask
        for convolution in self.convolutions:
            # Masked after every layer: frames past a clip's end stay zero, so a batch's padding changes nothing.
            hidden = hidden + convolution(F.leaky_relu(hidden, LEAKY_SLOPE)) * frame_mask
        correction = self.out(F.leaky_relu(hidden, LEAKY_SLOPE)) * frame_mask
        return means + correction[:, : self.inter_channels], log_scales + correction[:, self.inter_channels :]
