"""Multi-head self-attention with windowed relative positions (Shaw et al.; as in the VITS text encoder)."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from polyvox.models.dropout import Dropout


class RelativeSelfAttention(nn.Module):
    """Positions further apart than ``window_size`` share no relative term, so any length works."""

    def __init__(self, channels: int, n_heads: int, window_size: int, dropout: float) -> None:
        super().__init__()
        self.n_heads = n_heads
        self.head_channels = channels // n_heads
        self.window_size = window_size
        self.query = nn.Conv1d(channels, channels, 1)
        self.key = nn.Conv1d(channels, channels, 1)
        self.value = nn.Conv1d(channels, channels, 1)
        self.output = nn.Conv1d(channels, channels, 1)
        self.dropout = Dropout(dropout)
        scale = self.head_channels**-0.5
        # 2 * window + 1 relative offsets, shared by all heads.
        self.relative_keys = nn.Parameter(torch.randn(2 * window_size + 1, self.head_channels) * scale)
        self.relative_values = nn.Parameter(torch.randn(2 * window_size + 1, self.head_channels) * scale)
        nn.init.xavier_uniform_(self.query.weight)
        nn.init.xavier_uniform_(self.key.weight)
        nn.init.xavier_uniform_(self.value.weight)

    def _band_to_full(self, band: Tensor) -> Tensor:
        """(..., length, 2w+1) per-offset terms -> (..., length, length), zero outside the window.

        Row i's term for offset k - w belongs at column i + k - w: padding each row to length + 2w + 1 and
        reading the flat buffer back in rows one shorter shifts row i right by i (pad, reshape and slice,
        which ONNX exports)."""
        *lead, length, width = band.shape
        padded = nn.functional.pad(band, (0, length))
        skewed = padded.reshape(*lead, length * (length + width))[..., : length * (length + width - 1)]
        return skewed.reshape(*lead, length, length + width - 1)[..., self.window_size : self.window_size + length]

    def _full_to_band(self, full: Tensor) -> Tensor:
        """(..., length, length) -> (..., length, 2w+1): entry (i, k) is full[i, i + k - w], zero off the sequence."""
        *lead, length, _ = full.shape
        width = 2 * self.window_size + 1
        padded = nn.functional.pad(full, (self.window_size, self.window_size))  # rows of length + 2w
        flat = nn.functional.pad(padded.reshape(*lead, length * (length + width - 1)), (0, length))
        return flat.reshape(*lead, length, length + width)[..., :width]

    def forward(self, hidden: Tensor, attention_mask: Tensor) -> Tensor:
        """hidden (batch, channels, length); attention_mask (batch, 1, length, length) with 1 = attend."""
        batch, channels, length = hidden.shape
        heads, head_channels = self.n_heads, self.head_channels

        def split_heads(x: Tensor) -> Tensor:
            return x.view(batch, heads, head_channels, length).transpose(2, 3)  # (batch, heads, length, head_ch)

        query = split_heads(self.query(hidden)) / math.sqrt(head_channels)
        key = split_heads(self.key(hidden))
        value = split_heads(self.value(hidden))
        scores = torch.matmul(query, key.transpose(-2, -1))
        # Relative terms on the band of 2w+1 offsets only: O(length * w), not a (length, length, channels) table.
        scores = scores + self._band_to_full(torch.matmul(query, self.relative_keys.transpose(0, 1)))
        scores = scores.masked_fill(attention_mask == 0, -1e4)
        weights = self.dropout(torch.softmax(scores, dim=-1))
        attended = torch.matmul(weights, value)
        attended = attended + torch.matmul(self._full_to_band(weights), self.relative_values)
        attended = attended.transpose(2, 3).reshape(batch, channels, length)
        return self.output(attended)
