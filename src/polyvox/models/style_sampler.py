"""Style sampler: a style vector drawn for a sentence from its text and speaker, with no reference clip or label.

A conditional flow over the style component's vectors (flow matching on straight paths, as rectified flow): a
small MLP predicts the velocity that carries Gaussian noise to a style; sampling integrates it in Euler steps.
The condition is the text encoder's hidden states pooled over the sentence beside the speaker vector
(``VitsGenerator.style_condition``). Training replaces a fraction of the conditions by a learned "no condition",
so sampling can mix the two velocities (classifier-free guidance): ``scale`` 1 is the conditional velocity
alone, 0 ignores the text and speaker, above 1 follows them more. It trains on detached styles: it learns the
styles the voice uses and changes nothing else.

With ``condition_normalization`` "standardized" the condition is first centred and scaled per channel by running
statistics of the training conditions (buffers, saved and fingerprinted with the weights). Raw, the sentence is
swamped: the pooled text states are a near-constant vector (norm ~8) that varies ~0.01 per channel from sentence
to sentence, beside a speaker vector that varies ~0.5, so a sentence kind's centroid lies 0.04-0.19 from another's
and 300 fine-tune steps do not teach the projection weights large enough to read it (benchmarks/style_fit.py).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from polyvox.config import StyleSamplerConfig

# Weight of each batch in the running statistics once a few have been seen (BatchNorm's): recent enough to follow a
# text encoder that trains beside the sampler. Before that each batch weighs 1/n, so the first sets them outright.
STATISTICS_MOMENTUM = 0.1
# Added to each channel's variance before dividing (BatchNorm's): a channel constant over training (one speaker's
# vector) is scaled by a bounded factor instead of divided by zero.
VARIANCE_EPSILON = 1e-5


class StyleSampler(nn.Module):
    def __init__(self, style_channels: int, condition_channels: int, config: StyleSamplerConfig) -> None:
        super().__init__()
        hidden = config.hidden_channels
        self.style_channels = style_channels
        self.time_channels = config.time_channels
        self.condition_dropout = config.condition_dropout
        self.condition_projection = nn.Linear(condition_channels, hidden)
        self.unconditioned = nn.Parameter(torch.zeros(hidden))
        self.input_projection = nn.Linear(style_channels + config.time_channels, hidden)
        self.layers = nn.ModuleList(nn.Sequential(nn.SiLU(), nn.Linear(hidden, hidden)) for _ in range(config.n_layers))
        self.output_projection = nn.Sequential(nn.SiLU(), nn.Linear(hidden, style_channels))
        self.standardized = config.condition_normalization == "standardized"
        if self.standardized:
            # Running mean and mean square of each condition channel, and the batches they have seen.
            self.register_buffer("condition_mean", torch.zeros(condition_channels))
            self.register_buffer("condition_square_mean", torch.ones(condition_channels))
            self.register_buffer("condition_batches", torch.zeros((), dtype=torch.long))

    @torch.no_grad()
    def _track(self, condition: Tensor) -> None:
        """Fold a training batch of conditions (batch, condition_channels) into the running statistics; mean and
        mean square (not per-batch variances), so the spread between batches counts and a batch of one works."""
        weight = max(1.0 / (int(self.condition_batches) + 1), STATISTICS_MOMENTUM)
        self.condition_mean.lerp_(condition.mean(dim=0), weight)
        self.condition_square_mean.lerp_(condition.pow(2).mean(dim=0), weight)
        self.condition_batches += 1

    def condition_hidden(self, condition: Tensor) -> Tensor:
        """condition (batch, condition_channels) -> what the velocity network adds (batch, hidden)."""
        if self.standardized:
            variance = (self.condition_square_mean - self.condition_mean.pow(2)).clamp(min=0)
            condition = (condition - self.condition_mean) * torch.rsqrt(variance + VARIANCE_EPSILON)
        return self.condition_projection(condition)

    def time_features(self, times: Tensor) -> Tensor:
        """(batch,) flow times in [0, 1] -> (batch, time_channels): sines and cosines of pi, 2 pi, 3 pi ... times t."""
        frequencies = math.pi * torch.arange(1, self.time_channels // 2 + 1, device=times.device, dtype=times.dtype)
        angles = times[:, None] * frequencies
        return torch.cat([angles.sin(), angles.cos()], dim=1)

    def velocity(self, styles: Tensor, times: Tensor, condition_hidden: Tensor) -> Tensor:
        """styles (batch, style_channels) at flow times (batch,), condition (batch, hidden) -> velocity (batch, style_channels)."""
        hidden = self.input_projection(torch.cat([styles, self.time_features(times)], dim=1)) + condition_hidden
        for layer in self.layers:
            hidden = hidden + layer(hidden)
        return self.output_projection(hidden)

    def loss(self, styles: Tensor, condition: Tensor) -> Tensor:
        """Flow-matching loss (scalar) of detached ``styles`` (batch, style_channels) under ``condition``
        (batch, condition_channels): the velocity at a random point of the line from noise to each style. In training
        mode a standardizing sampler first folds ``condition`` into its running statistics."""
        noise = torch.randn_like(styles)
        times = torch.rand(styles.shape[0], device=styles.device, dtype=styles.dtype)
        between = noise + times[:, None] * (styles - noise)
        if self.standardized and self.training:
            self._track(condition)
        hidden = self.condition_hidden(condition)
        dropped = torch.rand(styles.shape[0], device=styles.device) < self.condition_dropout
        hidden = torch.where(dropped[:, None], self.unconditioned.expand_as(hidden), hidden)
        return (self.velocity(between, times, hidden) - (styles - noise)).pow(2).mean()

    @torch.no_grad()
    def sample(self, condition: Tensor, steps: int, scale: float, generator: torch.Generator | None = None) -> Tensor:
        """Styles (batch, style_channels) for ``condition`` (batch, condition_channels): noise drawn from
        ``generator`` moved in ``steps`` Euler steps, guided by ``scale``. Not bounded or checked here: a
        non-finite value must stay visible to the caller (clamping would turn an infinity into a plausible style)."""
        batch = condition.shape[0]
        styles = torch.randn(batch, self.style_channels, generator=generator, dtype=condition.dtype, device=condition.device)
        conditioned = self.condition_hidden(condition)
        unconditioned = self.unconditioned.expand_as(conditioned)
        for step in range(steps):
            times = torch.full((batch,), step / steps, dtype=condition.dtype, device=condition.device)
            velocity = self.velocity(styles, times, conditioned)
            if scale != 1.0:
                free = self.velocity(styles, times, unconditioned)
                velocity = free + scale * (velocity - free)
            styles = styles + velocity / steps
        return styles
