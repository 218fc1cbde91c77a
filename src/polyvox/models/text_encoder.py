"""Text encoder: phoneme and language ids -> hidden states and the prior p(z | text) statistics."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from polyvox.config import TextEncoderConfig
from polyvox.models.attention import RelativeSelfAttention
from polyvox.models.layers import LayerNorm


@dataclass
class TextEncoderOutput:
    hidden: Tensor  # (batch, hidden, text_len), input to the duration predictors
    prior_means: Tensor  # (batch, inter_channels, text_len)
    prior_log_scales: Tensor  # (batch, inter_channels, text_len)
    text_mask: Tensor  # (batch, 1, text_len) float


class FeedForward(nn.Module):
    def __init__(self, channels: int, filter_channels: int, kernel_size: int, dropout: float) -> None:
        super().__init__()
        padding = kernel_size // 2
        self.expand = nn.Conv1d(channels, filter_channels, kernel_size, padding=padding)
        self.contract = nn.Conv1d(filter_channels, channels, kernel_size, padding=padding)
        self.dropout = nn.Dropout(dropout)

    def forward(self, hidden: Tensor, mask: Tensor) -> Tensor:
        hidden = self.dropout(torch.relu(self.expand(hidden * mask)))
        return self.contract(hidden * mask) * mask


class TextEncoder(nn.Module):
    def __init__(self, n_symbols: int, n_languages: int, out_channels: int, config: TextEncoderConfig) -> None:
        super().__init__()
        hidden = config.hidden_channels
        self.hidden_channels = hidden
        self.out_channels = out_channels
        self.symbol_embedding = nn.Embedding(n_symbols, hidden)
        nn.init.normal_(self.symbol_embedding.weight, 0.0, hidden**-0.5)
        # Each token carries its own language, so one sentence may switch languages mid-way.
        self.language_embedding = nn.Embedding(n_languages, config.language_channels)
        self.language_projection = nn.Linear(config.language_channels, hidden)
        self.dropout = nn.Dropout(config.dropout)
        self.attention_layers = nn.ModuleList()
        self.attention_norms = nn.ModuleList()
        self.feed_forward_layers = nn.ModuleList()
        self.feed_forward_norms = nn.ModuleList()
        for _ in range(config.n_layers):
            self.attention_layers.append(RelativeSelfAttention(hidden, config.n_heads, config.window_size, config.dropout))
            self.attention_norms.append(LayerNorm(hidden))
            self.feed_forward_layers.append(FeedForward(hidden, config.filter_channels, config.kernel_size, config.dropout))
            self.feed_forward_norms.append(LayerNorm(hidden))
        self.stats_projection = nn.Conv1d(hidden, 2 * out_channels, 1)

    def forward(self, phoneme_ids: Tensor, language_ids: Tensor, text_lengths: Tensor) -> TextEncoderOutput:
        """phoneme_ids, language_ids (batch, text_len) long; text_lengths (batch,)."""
        embedded = self.symbol_embedding(phoneme_ids) * math.sqrt(self.hidden_channels)
        embedded = embedded + self.language_projection(self.language_embedding(language_ids))
        hidden = embedded.transpose(1, 2)
        text_len = phoneme_ids.shape[1]
        text_mask = (torch.arange(text_len, device=phoneme_ids.device)[None, :] < text_lengths[:, None]).unsqueeze(1).to(hidden.dtype)
        attention_mask = text_mask.unsqueeze(2) * text_mask.unsqueeze(-1)
        hidden = hidden * text_mask
        for attention, attention_norm, feed_forward, feed_forward_norm in zip(
            self.attention_layers, self.attention_norms, self.feed_forward_layers, self.feed_forward_norms
        ):
            hidden = attention_norm(hidden + self.dropout(attention(hidden, attention_mask)))
            hidden = feed_forward_norm(hidden + self.dropout(feed_forward(hidden, text_mask)))
        hidden = hidden * text_mask
        stats = self.stats_projection(hidden) * text_mask
        prior_means, prior_log_scales = torch.split(stats, self.out_channels, dim=1)
        return TextEncoderOutput(hidden=hidden, prior_means=prior_means, prior_log_scales=prior_log_scales, text_mask=text_mask)
