"""Deterministic duration predictor: text hidden states -> log(frames + 1) per token (VITS)."""

from __future__ import annotations

from torch import Tensor, nn

from polyvox.config import DurationConfig
from polyvox.models.dropout import Dropout
from polyvox.models.layers import LayerNorm


class DurationPredictor(nn.Module):
    """Two conv -> ReLU -> LayerNorm -> dropout blocks and a 1x1 projection to one channel.

    The caller detaches ``text_hidden`` so the duration loss does not shape the text encoder.
    """

    def __init__(self, in_channels: int, config: DurationConfig, speaker_channels: int) -> None:
        super().__init__()
        filters = config.filter_channels
        padding = config.kernel_size // 2
        self.speaker_projection = nn.Conv1d(speaker_channels, in_channels, 1) if speaker_channels > 0 else None
        self.first_conv = nn.Conv1d(in_channels, filters, config.kernel_size, padding=padding)
        self.first_norm = LayerNorm(filters)
        self.second_conv = nn.Conv1d(filters, filters, config.kernel_size, padding=padding)
        self.second_norm = LayerNorm(filters)
        self.dropout = Dropout(config.dropout)
        self.output_projection = nn.Conv1d(filters, 1, 1)

    def forward(self, text_hidden: Tensor, text_mask: Tensor, speaker_embedding: Tensor | None = None) -> Tensor:
        """Predict ``log(frames + 1)`` per token.

        Args:
            text_hidden: ``(batch, in_channels, text_len)``.
            text_mask: ``(batch, 1, text_len)`` float, 1 for real tokens.
            speaker_embedding: ``(batch, speaker_channels, 1)`` or None.

        Returns:
            ``(batch, 1, text_len)`` log durations, zero on padding.
        """
        hidden = text_hidden
        if speaker_embedding is not None:
            if self.speaker_projection is None:
                raise ValueError("a speaker embedding was given to a DurationPredictor built with speaker_channels=0")
            hidden = hidden + self.speaker_projection(speaker_embedding)
        hidden = self.dropout(self.first_norm(self.first_conv(hidden * text_mask).relu()))
        hidden = self.dropout(self.second_norm(self.second_conv(hidden * text_mask).relu()))
        return self.output_projection(hidden * text_mask) * text_mask
