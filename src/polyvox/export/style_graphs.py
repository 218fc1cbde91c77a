"""A style voice's extra graphs: its style encoder (a reference clip's log-mel -> its style), and a style sampler's
condition and velocities at one point of the flow.

The clip's log-mel is computed outside the graph (numpy in ``OnnxVoice``, JavaScript in the page), as is the blend
with the neutral style by the request's strength. The Euler loop stays outside the graphs too (its number of steps is
a request option); an engine draws the starting noise, calls the velocity graph once per step and mixes the two
velocities as ``StyleSampler.sample`` does.
"""

from __future__ import annotations

import torch
from torch import Tensor

from polyvox.export.graphs import GeneratorGraph


class StyleEncoderGraph(GeneratorGraph):
    """A clip's log-mel (batch, n_mels, frames) -> its style (batch, style_channels), as ``clip_style`` encodes one clip
    (every frame is the clip's: one clip per item, no padding)."""

    def forward(self, reference_mel: Tensor) -> Tensor:
        return self.generator.style_encoder.encode(reference_mel, torch.ones_like(reference_mel[:, :1]))


class StyleConditionGraph(GeneratorGraph):
    """Text and speaker -> what the sampler is conditioned on (batch, text_hidden + speaker_channels)."""

    def forward(
        self, phoneme_ids: Tensor, language_ids: Tensor, text_lengths: Tensor, speaker_ids: Tensor, prosody_ids: Tensor
    ) -> Tensor:
        speaker = self.generator.speaker_vector(speaker_ids)
        return self.generator.style_condition(phoneme_ids, language_ids, text_lengths, speaker, prosody_ids)


class StyleVelocityGraph(GeneratorGraph):
    """Styles (batch, style_channels) at flow times (batch,) -> the conditioned and the unconditioned velocity."""

    def forward(self, styles: Tensor, times: Tensor, style_condition: Tensor) -> tuple[Tensor, Tensor]:
        sampler = self.generator.style_sampler
        conditioned = sampler.condition_hidden(style_condition)
        free = sampler.velocity(styles, times, sampler.unconditioned.expand_as(conditioned))
        return sampler.velocity(styles, times, conditioned), free
