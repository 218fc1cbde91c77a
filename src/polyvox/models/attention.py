"""Multi-head self-attention with windowed relative positions (Shaw et al.; as in the VITS text encoder)."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn


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
        self.dropout = nn.Dropout(dropout)
        scale = self.head_channels**-0.5
        # 2 * window + 1 relative offsets, shared by all heads.
        self.relative_keys = nn.Parameter(torch.randn(2 * window_size + 1, self.head_channels) * scale)
        self.relative_values = nn.Parameter(torch.randn(2 * window_size + 1, self.head_channels) * scale)
        nn.init.xavier_uniform_(self.query.weight)
        nn.init.xavier_uniform_(self.key.weight)
        nn.init.xavier_uniform_(self.value.weight)

    def _relative_table(self, table: Tensor, length: int) -> Tensor:
        """(length, length, head_channels): the embedding for offset j - i, zero outside the window."""
        positions = torch.arange(length, device=table.device)
        offsets = positions[None, :] - positions[:, None]
        inside = offsets.abs() <= self.window_size
        index = torch.where(inside, offsets + self.window_size, torch.zeros_like(offsets))
        return table[index] * inside.unsqueeze(-1).to(table.dtype)

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
        relative_keys = self._relative_table(self.relative_keys, length)
        scores = scores + torch.einsum("bhid,ijd->bhij", query, relative_keys)
        scores = scores.masked_fill(attention_mask == 0, -1e4)
        weights = self.dropout(torch.softmax(scores, dim=-1))
        attended = torch.matmul(weights, value)
        relative_values = self._relative_table(self.relative_values, length)
        attended = attended + torch.einsum("bhij,ijd->bhid", weights, relative_values)
        attended = attended.transpose(2, 3).reshape(batch, channels, length)
        return self.output(attended)
