"""Style encoder: the log-mel of an utterance -> a style (prosody) vector, apart from the speaker's timbre.

Training encodes each target utterance, so the vector learns from the data, with no labels, whatever the
speaker vector does not already explain (rate, pitch range, energy); where the manifest labels a clip's
style, that label's row of a table is used instead and the encoder learns to land on it, so a label and a
clip of that style give nearby vectors. Both are squashed by tanh into the same (-1, 1) box. The vector
conditions what carries prosody (``StyleShift``): it is added, projected, to the speaker vector of the
text encoder, the duration predictors and the flow, and shifts the prior's statistics; the posterior
encoder and the decoder (timbre and waveform) see the speaker alone. ``neutral`` is the mean style of
training (style strength 0), a buffer the training module keeps as a running mean.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from polyvox.config import ReferenceEncoderConfig, StyleConfig
from polyvox.models.reference_encoder import ReferenceEncoder
from polyvox.models.text_encoder import TextEncoderOutput


@dataclass
class StyleShift:
    speaker: Tensor  # (batch, speaker_channels, 1): added to the speaker vector of the prosody components
    prior: Tensor  # (batch, 2 * inter_channels, 1): added to the prior's means and log-scales

    def applied(self, text: TextEncoderOutput) -> TextEncoderOutput:
        """``text`` with its prior statistics shifted (inside the text mask only)."""
        means, log_scales = torch.chunk(self.prior, 2, dim=1)
        return TextEncoderOutput(
            text.hidden, text.prior_means + means * text.text_mask, text.prior_log_scales + log_scales * text.text_mask, text.text_mask
        )


@dataclass
class TrainingStyle:
    vectors: Tensor  # (batch, style_channels): the style each item is trained with
    label_loss: Tensor  # scalar: encoded vs label row, over the labelled items (0 when none is)


class StyleEncoder(nn.Module):
    def __init__(self, n_mels: int, speaker_channels: int, inter_channels: int, config: StyleConfig) -> None:
        super().__init__()
        # The reference encoder's layers and statistics pooling (padding-independent), sized for style.
        layers = ReferenceEncoderConfig(
            enabled=True, hidden_channels=config.hidden_channels, kernel_size=config.kernel_size, n_layers=config.n_layers
        )
        self.encoder = ReferenceEncoder(n_mels, config.style_channels, layers)
        self.label_table = nn.Embedding(len(config.labels), config.style_channels) if config.labels else None
        self.to_speaker = nn.Linear(config.style_channels, speaker_channels)
        self.to_prior = nn.Linear(config.style_channels, 2 * inter_channels)
        # The shifts start at zero: an untrained style changes nothing.
        for projection in (self.to_speaker, self.to_prior):
            nn.init.zeros_(projection.weight)
            nn.init.zeros_(projection.bias)
        self.register_buffer("neutral", torch.zeros(config.style_channels))

    def encode(self, mel: Tensor, frame_mask: Tensor) -> Tensor:
        """mel (batch, n_mels, frames), frame_mask (batch, 1, frames) -> styles (batch, style_channels)."""
        return torch.tanh(self.encoder(mel, frame_mask))

    def label_vectors(self, label_ids: Tensor) -> Tensor:
        """(batch,) label ids -> their styles (batch, style_channels)."""
        if self.label_table is None:
            raise ValueError("this voice was trained without style labels")
        return torch.tanh(self.label_table(label_ids))

    def training_style(self, mel: Tensor, frame_mask: Tensor, label_ids: Tensor | None) -> TrainingStyle:
        """Each item's style: its label's row where ``label_ids`` (batch,) is >= 0, else its encoded mel."""
        encoded = self.encode(mel, frame_mask)
        if self.label_table is None or label_ids is None:
            return TrainingStyle(encoded, encoded.new_zeros(()))
        labelled = label_ids >= 0
        rows = self.label_vectors(label_ids.clamp(min=0))
        # The rows are targets here (as speaker rows are for the reference encoder): the generator loss trains them.
        distances = (encoded - rows.detach()).pow(2).mean(dim=1) * labelled
        label_loss = distances.sum() / labelled.sum().clamp(min=1)
        return TrainingStyle(torch.where(labelled[:, None], rows, encoded), label_loss)

    def shift(self, styles: Tensor) -> StyleShift:
        """styles (batch, style_channels) -> what they add to the prosody components' conditioning."""
        return StyleShift(self.to_speaker(styles).unsqueeze(-1), self.to_prior(styles).unsqueeze(-1))

    def blended(self, styles: Tensor, strength: float) -> Tensor:
        """The neutral style moved ``strength`` of the way to ``styles`` (0: neutral, 1: as given)."""
        return self.neutral + strength * (styles - self.neutral)
