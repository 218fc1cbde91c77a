"""Multi-period and multi-scale waveform discriminators (HiFi-GAN), with widths from the config.

Every sub-discriminator maps a waveform (batch, 1, samples) to a score map flattened to
(batch, score_frames) and the list of its layer activations (for the feature-matching loss).
Any input of at least one sample is accepted: the period discriminators pad to a whole number
of periods and every convolution pads so that a length-1 input still gives one output frame.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.parametrizations import weight_norm

from polyvox.config import DiscriminatorConfig
from polyvox.models.decoders.layout import conv_time_2d, from_time_2d, to_time_2d
from polyvox.models.decoders.resblock import LEAKY_RELU_SLOPE

# Period discriminators: kernel and stride along time of the 2-D convolutions (HiFi-GAN).
PERIOD_KERNEL_SIZE = 5
PERIOD_STRIDE = 3
# Scale discriminators: the first convolution, the strided grouped middle ones, the last one (HiFi-GAN).
SCALE_FIRST_KERNEL_SIZE = 15
SCALE_KERNEL_SIZE = 41
SCALE_STRIDE = 4
SCALE_LAST_KERNEL_SIZE = 5
# Kernel of the final 1-channel score convolution of both kinds.
SCORE_KERNEL_SIZE = 3
# Scale convolutions with more than one input channel run in the channels-last 2-D layout
# (decoders/layout.py) on inputs at least this long (a training segment's full- and quarter-rate layers),
# where oneDNN's kernels for it are faster forward and backward; on shorter inputs they are slower
# (benchmarks/training_kernels.py measures the quarter-width scale discriminator both ways).
SCALE_CHANNELS_LAST_MIN_SAMPLES = 1024

Judgement = tuple[Tensor, list[Tensor]]  # (score (batch, score_frames), features per layer)


@dataclass
class DiscriminatorOutput:
    """One entry per sub-discriminator (scales first, then periods), batch rows as in the inputs."""

    real_scores: list[Tensor]  # each (batch, score_frames)
    fake_scores: list[Tensor]
    real_features: list[list[Tensor]]  # per sub-discriminator, per layer: (batch, channels, ...)
    fake_features: list[list[Tensor]]


def _judge(
    convs: nn.ModuleList, conv_post: nn.Module, hidden: Tensor, convolve: Callable[..., Tensor] | None = None
) -> Judgement:
    """Run the conv stack (each layer through ``convolve(conv, hidden)``, by default ``conv(hidden)``),
    keeping every activation for the feature-matching loss."""
    features = []
    for conv in convs:
        hidden = F.leaky_relu(convolve(conv, hidden) if convolve else conv(hidden), LEAKY_RELU_SLOPE)
        features.append(hidden)
    score = conv_post(hidden)
    features.append(score)
    return torch.flatten(score, 1, -1), features


class PeriodDiscriminator(nn.Module):
    """Folds the waveform into (batch, 1, samples / period, period) and runs (k, 1) 2-D convolutions."""

    def __init__(self, period: int, channels: tuple[int, ...]) -> None:
        super().__init__()
        if period < 1 or not channels:
            raise ValueError(f"need period >= 1 and at least one channel width, got {period}, {channels}")
        self.period = period
        widths = (1, *channels)
        self.convs = nn.ModuleList()
        for layer, (channels_in, channels_out) in enumerate(zip(widths, widths[1:])):
            # The last width keeps the time resolution (stride 1), as in HiFi-GAN.
            stride = PERIOD_STRIDE if layer < len(channels) - 1 else 1
            conv = nn.Conv2d(
                channels_in, channels_out, (PERIOD_KERNEL_SIZE, 1), (stride, 1), padding=(PERIOD_KERNEL_SIZE // 2, 0)
            )
            self.convs.append(weight_norm(conv))
        self.conv_post = weight_norm(nn.Conv2d(channels[-1], 1, (SCORE_KERNEL_SIZE, 1), padding=(SCORE_KERNEL_SIZE // 2, 0)))

    def forward(self, waveform: Tensor) -> Judgement:
        batch, channels, samples = waveform.shape
        padding = (-samples) % self.period
        if padding:
            # Reflection needs more samples than it adds; shorter inputs are zero-padded instead.
            mode = "reflect" if padding < samples else "constant"
            waveform = F.pad(waveform, (0, padding), mode=mode)
        hidden = waveform.reshape(batch, channels, (samples + padding) // self.period, self.period)
        return _judge(self.convs, self.conv_post, hidden)


class ScaleDiscriminator(nn.Module):
    """1-D convolutions: kernel 15, then strided grouped ones per ``groups`` entry (the last unstrided).

    ``channels`` has one more entry than ``groups``; ``groups[i]`` is used from channels[i] to channels[i + 1].
    """

    def __init__(self, channels: tuple[int, ...], groups: tuple[int, ...]) -> None:
        super().__init__()
        if len(channels) != len(groups) + 1:
            raise ValueError(f"channels {channels} must be one longer than groups {groups}")
        self.convs = nn.ModuleList(
            [weight_norm(nn.Conv1d(1, channels[0], SCALE_FIRST_KERNEL_SIZE, padding=SCALE_FIRST_KERNEL_SIZE // 2))]
        )
        for layer, (channels_in, channels_out, group) in enumerate(zip(channels, channels[1:], groups)):
            is_last = layer == len(groups) - 1
            kernel_size = SCALE_LAST_KERNEL_SIZE if is_last else SCALE_KERNEL_SIZE
            stride = 1 if is_last else SCALE_STRIDE
            conv = nn.Conv1d(channels_in, channels_out, kernel_size, stride, groups=group, padding=kernel_size // 2)
            self.convs.append(weight_norm(conv))
        self.conv_post = weight_norm(nn.Conv1d(channels[-1], 1, SCORE_KERNEL_SIZE, padding=SCORE_KERNEL_SIZE // 2))

    def forward(self, waveform: Tensor) -> Judgement:
        return _judge(self.convs, self.conv_post, waveform, _scale_conv)


def _scale_conv(conv: nn.Conv1d, hidden: Tensor) -> Tensor:
    """``conv(hidden)``, through the channels-last 2-D layout where that is faster (see above)."""
    if conv.in_channels > 1 and hidden.shape[-1] >= SCALE_CHANNELS_LAST_MIN_SAMPLES:
        return from_time_2d(conv_time_2d(conv, to_time_2d(hidden)))
    return conv(hidden)


class MultiPeriodMultiScaleDiscriminator(nn.Module):
    """``n_scales`` scale discriminators (scale i sees the waveform average-pooled by 2**i), then one
    period discriminator per period. ``discriminators`` is one list, in that order, as in VITS."""

    def __init__(self, config: DiscriminatorConfig) -> None:
        super().__init__()
        self.n_scales = config.n_scales
        scales = [ScaleDiscriminator(config.scale_channels, config.scale_groups) for _ in range(config.n_scales)]
        periods = [PeriodDiscriminator(period, config.period_channels) for period in config.periods]
        self.discriminators = nn.ModuleList([*scales, *periods])

    def forward(self, real: Tensor, fake: Tensor) -> DiscriminatorOutput:
        """real, fake (batch, 1, samples), same shape; run as one batch of 2 * batch rows."""
        _check_pair(real, fake)
        batch = real.shape[0]
        scores, features = self.judge(torch.cat([real, fake], dim=0))
        return DiscriminatorOutput(
            real_scores=[score[:batch] for score in scores],
            fake_scores=[score[batch:] for score in scores],
            real_features=[[feature[:batch] for feature in layers] for layers in features],
            fake_features=[[feature[batch:] for feature in layers] for layers in features],
        )

    def judge(self, waveforms: Tensor) -> tuple[list[Tensor], list[list[Tensor]]]:
        """Scores and per-layer features of every sub-discriminator for waveforms (batch, 1, samples)."""
        scores, features = [], []
        for index, discriminator in enumerate(self.discriminators):
            inputs = waveforms
            if index < self.n_scales and index > 0:
                factor = 2**index
                # ceil_mode keeps a partial last window (averaged over the samples it holds): never empty.
                inputs = F.avg_pool1d(waveforms, factor, factor, ceil_mode=True)
            score, layer_features = discriminator(inputs)
            scores.append(score)
            features.append(layer_features)
        return scores, features

    def for_generator(self, real: Tensor, fake: Tensor) -> DiscriminatorOutput:
        """The same values as ``forward``, for the generator's adversarial and feature-matching losses,
        at about half the cost: the real half runs without autograd (its features are targets), and
        the fake half records no gradients for the discriminator's own weights, only for ``fake``."""
        _check_pair(real, fake)
        with torch.no_grad():
            real_scores, real_features = self.judge(real)
        trainable = [parameter for parameter in self.parameters() if parameter.requires_grad]
        for parameter in trainable:
            parameter.requires_grad_(False)
        try:
            fake_scores, fake_features = self.judge(fake)
        finally:
            for parameter in trainable:
                parameter.requires_grad_(True)
        return DiscriminatorOutput(real_scores, fake_scores, real_features, fake_features)


def _check_pair(real: Tensor, fake: Tensor) -> None:
    if real.shape != fake.shape or real.dim() != 3 or real.shape[1] != 1 or real.shape[-1] < 1:
        raise ValueError(
            f"real and fake must both be (batch, 1, samples) with samples >= 1, got {tuple(real.shape)} "
            f"and {tuple(fake.shape)}; cut the real segment to the generated length"
        )
