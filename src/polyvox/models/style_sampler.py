"""Style sampler: a style vector drawn for a sentence from its text and speaker, with no reference clip or label.

A conditional flow over the style component's vectors (flow matching on straight paths, as rectified flow): a
small MLP predicts the velocity that carries Gaussian noise to a style; sampling integrates it in Euler steps.
The condition is the text encoder's hidden states pooled over the sentence beside the speaker vector
(``VitsGenerator.style_condition``). Training replaces a fraction of the conditions by a learned "no condition",
so sampling can mix the two velocities (classifier-free guidance): ``scale`` 1 is the conditional velocity
alone, 0 ignores the text and speaker, above 1 follows them more. It trains on detached styles: it learns the
styles the voice uses and changes nothing else.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from polyvox.config import StyleSamplerConfig


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
        (batch, condition_channels): the velocity at a random point of the line from noise to each style."""
        noise = torch.randn_like(styles)
        times = torch.rand(styles.shape[0], device=styles.device, dtype=styles.dtype)
        between = noise + times[:, None] * (styles - noise)
        hidden = self.condition_projection(condition)
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
        conditioned = self.condition_projection(condition)
        unconditioned = self.unconditioned.expand_as(conditioned)
        for step in range(steps):
            times = torch.full((batch,), step / steps, dtype=condition.dtype, device=condition.device)
            velocity = self.velocity(styles, times, conditioned)
            if scale != 1.0:
                free = self.velocity(styles, times, unconditioned)
                velocity = free + scale * (velocity - free)
            styles = styles + velocity / steps
        return styles
