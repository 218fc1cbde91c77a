"""Relative-position transformer layers, shared by the text encoder and the transformer coupling flow."""

from __future__ import annotations

from typing import Protocol

import torch
from torch import Tensor, nn

from polyvox.models.attention import RelativeSelfAttention
from polyvox.models.dropout import Dropout
from polyvox.models.layers import LayerNorm


class TransformerShape(Protocol):
    """The layers' sizes, as ``TextEncoderConfig`` and ``FlowConfig`` (transformer couplings) name them."""

    @property
    def hidden_channels(self) -> int: ...

    @property
    def filter_channels(self) -> int: ...

    @property
    def n_heads(self) -> int: ...

    @property
    def n_layers(self) -> int: ...

    @property
    def kernel_size(self) -> int: ...

    @property
    def dropout(self) -> float: ...

    @property
    def speaker_condition_layer(self) -> int | None: ...


class FeedForward(nn.Module):
    def __init__(self, channels: int, filter_channels: int, kernel_size: int, dropout: float) -> None:
        super().__init__()
        padding = kernel_size // 2
        self.expand = nn.Conv1d(channels, filter_channels, kernel_size, padding=padding)
        self.contract = nn.Conv1d(filter_channels, channels, kernel_size, padding=padding)
        self.dropout = Dropout(dropout)

    def forward(self, hidden: Tensor, mask: Tensor) -> Tensor:
        hidden = self.dropout(torch.relu(self.expand(hidden * mask)))
        return self.contract(hidden * mask) * mask


class RelativeTransformerLayers:
    """Post-norm layers (attention, then feed-forward, each with a residual and a LayerNorm) as attributes of the
    module that mixes this in, so its weight names stay ``attention_layers.0...`` whatever else it holds.

    With a ``speaker_condition_layer``, the projected speaker vector is added before that layer (MeloTTS, VITS2).
    """

    attention_layers: nn.ModuleList
    attention_norms: nn.ModuleList
    feed_forward_layers: nn.ModuleList
    feed_forward_norms: nn.ModuleList
    layer_dropout: Dropout
    speaker_projection: nn.Linear | None
    speaker_condition_layer: int | None

    def build_layers(self, shape: TransformerShape, window_size: int, speaker_channels: int = 0) -> None:
        """``window_size``: relative positions the attention tells apart; ``speaker_channels`` 0: no speaker input."""
        channels, dropout = shape.hidden_channels, shape.dropout
        self.layer_dropout = Dropout(dropout)
        self.attention_layers = nn.ModuleList()
        self.attention_norms = nn.ModuleList()
        self.feed_forward_layers = nn.ModuleList()
        self.feed_forward_norms = nn.ModuleList()
        for _ in range(shape.n_layers):
            self.attention_layers.append(RelativeSelfAttention(channels, shape.n_heads, window_size, dropout))
            self.attention_norms.append(LayerNorm(channels))
            self.feed_forward_layers.append(FeedForward(channels, shape.filter_channels, shape.kernel_size, dropout))
            self.feed_forward_norms.append(LayerNorm(channels))
        conditioned = shape.speaker_condition_layer is not None and speaker_channels > 0
        self.speaker_condition_layer = shape.speaker_condition_layer if conditioned else None
        self.speaker_projection = nn.Linear(speaker_channels, channels) if conditioned else None

    def run_layers(self, hidden: Tensor, mask: Tensor, speaker_embedding: Tensor | None = None) -> Tensor:
        """hidden (batch, channels, length), mask (batch, 1, length), speaker (batch, speaker_channels, 1) | None."""
        attention_mask = mask.unsqueeze(2) * mask.unsqueeze(-1)
        hidden = hidden * mask
        layers = zip(self.attention_layers, self.attention_norms, self.feed_forward_layers, self.feed_forward_norms)
        for index, (attention, attention_norm, feed_forward, feed_forward_norm) in enumerate(layers):
            if index == self.speaker_condition_layer and speaker_embedding is not None and self.speaker_projection is not None:
                hidden = (hidden + self.speaker_projection(speaker_embedding.transpose(1, 2)).transpose(1, 2)) * mask
            hidden = attention_norm(hidden + self.layer_dropout(attention(hidden, attention_mask)))
            hidden = feed_forward_norm(hidden + self.layer_dropout(feed_forward(hidden, mask)))
        return hidden * mask


class RelativeTransformer(RelativeTransformerLayers, nn.Module):
    """The layers on their own: (batch, channels, length) -> same shape."""

    def __init__(self, shape: TransformerShape, window_size: int, speaker_channels: int = 0) -> None:
        nn.Module.__init__(self)
        self.build_layers(shape, window_size, speaker_channels)

    def forward(self, hidden: Tensor, mask: Tensor, speaker_embedding: Tensor | None = None) -> Tensor:
        return self.run_layers(hidden, mask, speaker_embedding)
