"""The shortest clip the model can take, computed from its own kernel sizes, paddings and strides.

Every convolution here is either length-preserving or pads by half its kernel, so the answer is
normally 1 frame; it is computed rather than assumed so that a config with, say, an unpadded
or strided layer reports its true limit instead of crashing with "kernel size can't be greater
than actual input size" mid-epoch.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from polyvox.config import VoiceConfig
from polyvox.models.conv_geometry import ConvStep, half_padded, minimum_input_length
from polyvox.models.decoders import decoder_class
from polyvox.models.discriminators import (
    PERIOD_KERNEL_SIZE,
    PERIOD_STRIDE,
    SCALE_FIRST_KERNEL_SIZE,
    SCALE_KERNEL_SIZE,
    SCALE_LAST_KERNEL_SIZE,
    SCALE_STRIDE,
    SCORE_KERNEL_SIZE,
)
from polyvox.models.flow import ResidualCouplingFlow
from polyvox.models.wavenet import WaveNet

__all__ = ["ConvStep", "MinimumInput", "half_padded", "minimum_frames", "minimum_input", "minimum_input_length"]


@dataclass(frozen=True)
class MinimumInput:
    frames: int
    seconds: float
    per_component: dict[str, int]  # frames each component needs

    def describe(self) -> str:
        limiting = [name for name, frames in self.per_component.items() if frames == self.frames]
        why = "every component accepts it" if len(limiting) == len(self.per_component) else f"limited by {', '.join(limiting)}"
        return f"model minimum input: {self.frames} frames = {self.seconds:.3f} s ({why})"


def minimum_input(config: VoiceConfig) -> MinimumInput:
    """Minimum clip length in latent frames for every frame-level component, and overall."""
    model = config.model
    hop = config.audio.hop_length
    scale_steps = [half_padded(SCALE_FIRST_KERNEL_SIZE)]
    scale_steps += [half_padded(SCALE_KERNEL_SIZE, SCALE_STRIDE) for _ in model.discriminator.scale_groups[:-1]]
    scale_steps += [half_padded(SCALE_LAST_KERNEL_SIZE), half_padded(SCORE_KERNEL_SIZE)]
    period_widths = len(model.discriminator.period_channels)
    period_steps = [half_padded(PERIOD_KERNEL_SIZE, PERIOD_STRIDE) for _ in range(period_widths - 1)]
    period_steps += [half_padded(PERIOD_KERNEL_SIZE), half_padded(SCORE_KERNEL_SIZE)]
    discriminator_samples = [minimum_input_length(scale_steps) * 2**scale for scale in range(model.discriminator.n_scales)]
    # A period discriminator folds the waveform into rows of `period` samples.
    discriminator_samples += [minimum_input_length(period_steps) * period for period in model.discriminator.periods]
    per_component = {
        "posterior encoder": WaveNet.minimum_frames(model.posterior.kernel_size, model.posterior.dilation_rate, model.posterior.n_layers),
        "flow": ResidualCouplingFlow.minimum_frames(model.flow),
        "decoder": decoder_class(model.decoder).minimum_frames(model.decoder),
        "discriminators": math.ceil(max(discriminator_samples, default=1) / hop),
    }
    frames = max(per_component.values())
    return MinimumInput(frames=frames, seconds=frames * hop / config.audio.sample_rate, per_component=per_component)


def minimum_frames(config: VoiceConfig) -> int:
    """The fewest latent frames (mel frames) a clip may have for this model."""
    return minimum_input(config).frames
