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
from polyvox.models.decoders.hifigan import POST_KERNEL_SIZE, PRE_KERNEL_SIZE
from polyvox.models.discriminators import (
    PERIOD_KERNEL_SIZE,
    PERIOD_STRIDE,
    SCALE_FIRST_KERNEL_SIZE,
    SCALE_KERNEL_SIZE,
    SCALE_LAST_KERNEL_SIZE,
    SCALE_STRIDE,
    SCORE_KERNEL_SIZE,
)


@dataclass(frozen=True)
class ConvStep:
    kernel_size: int
    stride: int = 1
    dilation: int = 1
    total_padding: int = 0  # zeros added on both sides together


def half_padded(kernel_size: int, stride: int = 1, dilation: int = 1) -> ConvStep:
    """A convolution padded by ``dilation * (kernel_size - 1) // 2`` on each side (the usual choice)."""
    return ConvStep(kernel_size, stride, dilation, 2 * (dilation * (kernel_size - 1) // 2))


def minimum_input_length(steps: list[ConvStep]) -> int:
    """Shortest input for which every step of the chain yields at least one output element."""
    needed = 1
    for step in reversed(steps):
        receptive = step.dilation * (step.kernel_size - 1) + 1
        needed = max(1, (needed - 1) * step.stride + receptive - step.total_padding)
    return needed


def _wavenet_steps(kernel_size: int, dilation_rate: int, n_layers: int) -> list[ConvStep]:
    return [half_padded(kernel_size, dilation=dilation_rate**layer) for layer in range(n_layers)]


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
    decoder_steps = [half_padded(PRE_KERNEL_SIZE)]
    # Transposed up-sampling convolutions always lengthen their input; residual blocks keep the length.
    decoder_steps.append(half_padded(POST_KERNEL_SIZE))
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
        "posterior encoder": minimum_input_length(
            _wavenet_steps(model.posterior.kernel_size, model.posterior.dilation_rate, model.posterior.n_layers)
        ),
        "flow": minimum_input_length(_wavenet_steps(model.flow.kernel_size, model.flow.dilation_rate, model.flow.n_layers)),
        "decoder": minimum_input_length(decoder_steps),
        "discriminators": math.ceil(max(discriminator_samples, default=1) / hop),
    }
    frames = max(per_component.values())
    return MinimumInput(frames=frames, seconds=frames * hop / config.audio.sample_rate, per_component=per_component)


def minimum_frames(config: VoiceConfig) -> int:
    """The fewest latent frames (mel frames) a clip may have for this model."""
    return minimum_input(config).frames
