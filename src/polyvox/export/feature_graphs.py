"""The style sampler's condition graph of a voice trained with text features: the sentence's features go into the
text encoder whose states the sampler is conditioned on, as ``sampled_style`` feeds them (``StyleConditionGraph``
serves every other voice, unchanged)."""

from __future__ import annotations

from torch import Tensor

from polyvox.export.style_graphs import StyleConditionGraph


class FeaturedStyleConditionGraph(StyleConditionGraph):
    """Text, speaker and each id's text features (batch, text_len, dim) -> what the sampler is conditioned on."""

    def forward(
        self, phoneme_ids: Tensor, language_ids: Tensor, text_lengths: Tensor, speaker_ids: Tensor, prosody_ids: Tensor,
        text_features: Tensor | None = None,
    ) -> Tensor:
        speaker = self.generator.speaker_vector(speaker_ids)
        return self.generator.style_condition(phoneme_ids, language_ids, text_lengths, speaker, prosody_ids, text_features)
