"""Text encoder: phoneme and language ids -> hidden states and the prior p(z | text) statistics."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from polyvox.config import TextEncoderConfig
from polyvox.models.transformer import FeedForward, RelativeTransformerLayers
from polyvox.text.prosody import ACCENTS, LENGTHS

__all__ = ["FeedForward", "TextEncoder", "TextEncoderOutput"]


@dataclass
class TextEncoderOutput:
    hidden: Tensor  # (batch, hidden, text_len), input to the duration predictors
    prior_means: Tensor  # (batch, inter_channels, text_len)
    prior_log_scales: Tensor  # (batch, inter_channels, text_len)
    text_mask: Tensor  # (batch, 1, text_len) float

    def float(self) -> TextEncoderOutput:
        """The same output in float32 (it is bfloat16 under mixed-precision training)."""
        return TextEncoderOutput(self.hidden.float(), self.prior_means.float(), self.prior_log_scales.float(), self.text_mask.float())


class TextEncoder(RelativeTransformerLayers, nn.Module):
    def __init__(
        self, n_symbols: int, n_languages: int, out_channels: int, config: TextEncoderConfig, speaker_channels: int = 0,
        text_feature_channels: int = 0,
    ) -> None:
        nn.Module.__init__(self)
        hidden = config.hidden_channels
        self.hidden_channels = hidden
        self.out_channels = out_channels
        self.symbol_embedding = nn.Embedding(n_symbols, hidden)
        nn.init.normal_(self.symbol_embedding.weight, 0.0, hidden**-0.5)
        # Each token carries its own language, so one sentence may switch languages mid-way.
        self.language_embedding = nn.Embedding(n_languages, config.language_channels)
        self.language_projection = nn.Linear(config.language_channels, hidden)
        # The features input scheme: accent (stress, tone, pitch accent) and length embedded apart and summed with
        # the phoneme's row, so a phoneme never seen with an accent still has both parts trained. They start at
        # zero: a new encoder starts as a fused one would, and one grown from a fused voice starts as that voice.
        self.accent_embedding: nn.Embedding | None = None
        self.length_embedding: nn.Embedding | None = None
        if config.prosody_embeddings:
            self.accent_embedding = nn.Embedding(len(ACCENTS), hidden)
            self.length_embedding = nn.Embedding(len(LENGTHS), hidden)
            nn.init.zeros_(self.accent_embedding.weight)
            nn.init.zeros_(self.length_embedding.weight)
        # Text features (model.text_features): a projection of each token's sentence-model features, added to its
        # embedding. Zero at the start, so a voice fine-tuned with features starts as the voice without them.
        self.text_feature_projection: nn.Linear | None = None
        if text_feature_channels:
            self.text_feature_projection = nn.Linear(text_feature_channels, hidden)
            nn.init.zeros_(self.text_feature_projection.weight)
            nn.init.zeros_(self.text_feature_projection.bias)
        self.build_layers(config, config.window_size, speaker_channels)
        self.stats_projection = nn.Conv1d(hidden, 2 * out_channels, 1)

    def forward(
        self,
        phoneme_ids: Tensor,
        language_ids: Tensor,
        text_lengths: Tensor,
        speaker_embedding: Tensor | None = None,
        prosody_ids: Tensor | None = None,
        text_features: Tensor | None = None,
    ) -> TextEncoderOutput:
        """phoneme_ids, language_ids (batch, text_len) long; text_lengths (batch,); speaker (batch, speaker_channels, 1),
        used only when the config has a ``speaker_condition_layer``; prosody_ids (batch, text_len) long
        (``polyvox.text.prosody.prosody_id``), read only with ``prosody_embeddings`` (None: all unmarked);
        text_features (batch, text_len, text_feature_channels), read only by an encoder built with text features."""
        embedded = self.symbol_embedding(phoneme_ids)
        if self.accent_embedding is not None and self.length_embedding is not None:
            prosody_ids = torch.zeros_like(phoneme_ids) if prosody_ids is None else prosody_ids
            # The remainder as a difference: ONNX's Mod is not among onnxruntime-mobile's operators (ids are >= 0).
            accents = prosody_ids // len(LENGTHS)
            lengths = prosody_ids - accents * len(LENGTHS)
            embedded = embedded + self.accent_embedding(accents) + self.length_embedding(lengths)
        embedded = embedded * math.sqrt(self.hidden_channels)
        embedded = embedded + self.language_projection(self.language_embedding(language_ids))
        if self.text_feature_projection is not None and text_features is not None:
            embedded = embedded + self.text_feature_projection(text_features.to(embedded.dtype))
        hidden = embedded.transpose(1, 2)
        text_len = phoneme_ids.shape[1]
        text_mask = (torch.arange(text_len, device=phoneme_ids.device)[None, :] < text_lengths[:, None]).unsqueeze(1).to(hidden.dtype)
        hidden = self.run_layers(hidden, text_mask, speaker_embedding)
        stats = self.stats_projection(hidden) * text_mask
        prior_means, prior_log_scales = torch.split(stats, self.out_channels, dim=1)
        return TextEncoderOutput(hidden=hidden, prior_means=prior_means, prior_log_scales=prior_log_scales, text_mask=text_mask)
