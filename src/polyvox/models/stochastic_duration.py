"""Stochastic (flow-based) duration predictor of VITS.

Training maximises a variational lower bound on the likelihood of the whole frame counts: a
posterior flow draws dequantisation noise ``u`` in (0, 1) and a second latent channel, and the main
flow maps ``log(frames + 1 - u)`` with that channel to a standard normal. The ``+ 1`` keeps the
logarithm finite for tokens with 0 frames, and makes the output follow the deterministic
predictor's convention: ``exp(log_durations) - 1`` is the (continuous) number of frames. (The offset is
``DurationConfig.log_duration_offset``; voices imported from VITS, Piper and MeloTTS use 0, as they were trained.)

Every flow maps ``(latent (batch, channels, text_len), mask (batch, 1, text_len), condition
(batch, filters, text_len) | None, reverse)`` to ``(latent, log_det (batch,))``.
"""

from __future__ import annotations

import math
from typing import Final

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from polyvox.config import DurationConfig
from polyvox.models.dropout import Dropout
from polyvox.models.layers import LayerNorm
from polyvox.models.splines import rational_quadratic_spline

KERNEL_SIZE: Final = 3  # of every dilated depth-separable conv
DDS_LAYERS: Final = 3  # dilations 1, 3, 9 with kernel 3: a receptive field of 27 tokens
SPLINE_BINS: Final = 10
SPLINE_TAIL_BOUND: Final = 5.0
LATENT_CHANNELS: Final = 2  # the duration and one auxiliary channel, so couplings have a half to condition on
MIN_LOG_INPUT: Final = 1e-5  # the log flow clamps its input here (only padding reaches it)
LOG_TWO_PI: Final = math.log(2 * math.pi)


class DilatedDepthSeparableConv(nn.Module):
    """Residual stack of depth-wise dilated convs (dilation ``kernel_size ** layer``) and 1x1 convs."""

    def __init__(self, channels: int, kernel_size: int, n_layers: int, dropout: float) -> None:
        super().__init__()
        self.depthwise_convs = nn.ModuleList()
        self.pointwise_convs = nn.ModuleList()
        self.depthwise_norms = nn.ModuleList()
        self.pointwise_norms = nn.ModuleList()
        for layer in range(n_layers):
            dilation = kernel_size**layer
            padding = (kernel_size * dilation - dilation) // 2
            self.depthwise_convs.append(
                nn.Conv1d(channels, channels, kernel_size, groups=channels, dilation=dilation, padding=padding)
            )
            self.pointwise_convs.append(nn.Conv1d(channels, channels, 1))
            self.depthwise_norms.append(LayerNorm(channels))
            self.pointwise_norms.append(LayerNorm(channels))
        self.dropout = Dropout(dropout)

    def forward(self, hidden: Tensor, mask: Tensor, condition: Tensor | None = None) -> Tensor:
        """hidden (batch, channels, time), mask (batch, 1, time), condition like hidden or None."""
        if condition is not None:
            hidden = hidden + condition
        layers = zip(self.depthwise_convs, self.depthwise_norms, self.pointwise_convs, self.pointwise_norms)
        for depthwise_conv, depthwise_norm, pointwise_conv, pointwise_norm in layers:
            update = F.gelu(depthwise_norm(depthwise_conv(hidden * mask)))
            update = F.gelu(pointwise_norm(pointwise_conv(update)))
            hidden = hidden + self.dropout(update)
        return hidden * mask


class ElementwiseAffine(nn.Module):
    """Learned per-channel shift and log-scale."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.shift = nn.Parameter(torch.zeros(channels, 1))
        self.log_scale = nn.Parameter(torch.zeros(channels, 1))

    def forward(self, latent: Tensor, mask: Tensor, condition: Tensor | None = None, reverse: bool = False) -> tuple[Tensor, Tensor]:
        log_det = torch.sum(self.log_scale * mask, dim=(1, 2))
        if reverse:
            return (latent - self.shift) * torch.exp(-self.log_scale) * mask, -log_det
        return (self.shift + torch.exp(self.log_scale) * latent) * mask, log_det


class LogFlow(nn.Module):
    """``y = log(x)`` for positive inputs."""

    def forward(self, latent: Tensor, mask: Tensor, condition: Tensor | None = None, reverse: bool = False) -> tuple[Tensor, Tensor]:
        if reverse:
            outputs = torch.exp(latent) * mask
            return outputs, torch.sum(latent * mask, dim=(1, 2))
        outputs = torch.log(latent.clamp(min=MIN_LOG_INPUT)) * mask
        return outputs, -torch.sum(outputs, dim=(1, 2))


class ChannelFlip(nn.Module):
    """Reverses the channel order so the next coupling transforms the other half."""

    def forward(self, latent: Tensor, mask: Tensor, condition: Tensor | None = None, reverse: bool = False) -> tuple[Tensor, Tensor]:
        return torch.flip(latent, [1]), latent.new_zeros(latent.shape[0])


class SplineCouplingFlow(nn.Module):
    """The second channel half goes through a rational-quadratic spline predicted from the first."""

    def __init__(self, channels: int, filter_channels: int) -> None:
        super().__init__()
        self.half_channels = channels // 2
        self.filter_channels = filter_channels
        self.input_projection = nn.Conv1d(self.half_channels, filter_channels, 1)
        self.convs = DilatedDepthSeparableConv(filter_channels, KERNEL_SIZE, DDS_LAYERS, dropout=0.0)
        self.output_projection = nn.Conv1d(filter_channels, self.half_channels * (3 * SPLINE_BINS - 1), 1)
        # Start from a fixed spline (uniform bins) that does not depend on the input.
        nn.init.zeros_(self.output_projection.weight)
        nn.init.zeros_(self.output_projection.bias)

    def forward(self, latent: Tensor, mask: Tensor, condition: Tensor | None = None, reverse: bool = False) -> tuple[Tensor, Tensor]:
        first, second = torch.split(latent, [self.half_channels, latent.shape[1] - self.half_channels], dim=1)
        hidden = self.convs(self.input_projection(first), mask, condition)
        parameters = self.output_projection(hidden) * mask  # (batch, half * (3 * bins - 1), time)
        batch, half, time = first.shape
        parameters = parameters.reshape(batch, half, 3 * SPLINE_BINS - 1, time).permute(0, 1, 3, 2)
        # Scaling keeps the softmax over bin sizes near uniform while the network is young.
        width_logits = parameters[..., :SPLINE_BINS] / math.sqrt(self.filter_channels)
        height_logits = parameters[..., SPLINE_BINS : 2 * SPLINE_BINS] / math.sqrt(self.filter_channels)
        derivative_logits = parameters[..., 2 * SPLINE_BINS :]
        second, log_abs_det = rational_quadratic_spline(
            second, width_logits, height_logits, derivative_logits, inverse=reverse, tail_bound=SPLINE_TAIL_BOUND
        )
        return torch.cat([first, second], dim=1) * mask, torch.sum(log_abs_det * mask, dim=(1, 2))


def _flow_stack(filter_channels: int, n_flows: int) -> nn.ModuleList:
    flows: list[nn.Module] = [ElementwiseAffine(LATENT_CHANNELS)]
    for _ in range(n_flows):
        flows.extend([SplineCouplingFlow(LATENT_CHANNELS, filter_channels), ChannelFlip()])
    return nn.ModuleList(flows)


class StochasticDurationPredictor(nn.Module):
    """Flow-based duration model: ``forward`` gives the training loss, ``infer`` samples durations.

    The caller detaches ``text_hidden`` so the duration loss does not shape the text encoder.
    """

    def __init__(self, in_channels: int, config: DurationConfig, speaker_channels: int) -> None:
        super().__init__()
        filters = config.stochastic_filter_channels
        self.duration_offset = config.log_duration_offset
        self.text_input_projection = nn.Conv1d(in_channels, filters, 1)
        self.speaker_projection = nn.Conv1d(speaker_channels, filters, 1) if speaker_channels > 0 else None
        self.text_convs = DilatedDepthSeparableConv(filters, KERNEL_SIZE, DDS_LAYERS, config.dropout)
        self.text_output_projection = nn.Conv1d(filters, filters, 1)
        self.log_flow = LogFlow()
        self.flows = _flow_stack(filters, config.stochastic_flows)

        self.duration_input_projection = nn.Conv1d(1, filters, 1)
        self.duration_convs = DilatedDepthSeparableConv(filters, KERNEL_SIZE, DDS_LAYERS, config.dropout)
        self.duration_output_projection = nn.Conv1d(filters, filters, 1)
        self.posterior_flows = _flow_stack(filters, config.stochastic_flows)

    def _text_condition(self, text_hidden: Tensor, text_mask: Tensor, speaker_embedding: Tensor | None) -> Tensor:
        """(batch, in_channels, text_len) -> (batch, filters, text_len) conditioning of every flow."""
        hidden = self.text_input_projection(text_hidden)
        if speaker_embedding is not None:
            if self.speaker_projection is None:
                raise ValueError("a speaker embedding was given to a StochasticDurationPredictor built with speaker_channels=0")
            hidden = hidden + self.speaker_projection(speaker_embedding)
        return self.text_output_projection(self.text_convs(hidden, text_mask)) * text_mask

    def forward(
        self, text_hidden: Tensor, text_mask: Tensor, durations: Tensor, speaker_embedding: Tensor | None = None
    ) -> Tensor:
        """Negative variational lower bound of log p(durations | text), summed over tokens.

        Args:
            text_hidden: ``(batch, in_channels, text_len)``.
            text_mask: ``(batch, 1, text_len)`` float.
            durations: ``(batch, 1, text_len)`` frames per token (whole numbers >= 0, as floats).
            speaker_embedding: ``(batch, speaker_channels, 1)`` or None.

        Returns:
            ``(batch,)`` loss per item (in nats; divide by the token count for a per-token loss).
        """
        durations = durations.to(text_hidden.dtype)
        condition = self._text_condition(text_hidden, text_mask, speaker_embedding)
        duration_features = self.duration_input_projection(durations)
        duration_features = self.duration_output_projection(self.duration_convs(duration_features, text_mask)) * text_mask

        noise = torch.randn(durations.shape[0], LATENT_CHANNELS, durations.shape[2], device=durations.device, dtype=durations.dtype)
        noise = noise * text_mask
        posterior_latent, posterior_log_det = noise, noise.new_zeros(noise.shape[0])
        for flow in self.posterior_flows:
            posterior_latent, log_det = flow(posterior_latent, text_mask, condition + duration_features)
            posterior_log_det = posterior_log_det + log_det
        dequantisation_logit, auxiliary = torch.split(posterior_latent, [1, 1], dim=1)
        dequantisation = torch.sigmoid(dequantisation_logit) * text_mask
        posterior_log_det = posterior_log_det + torch.sum(
            (F.logsigmoid(dequantisation_logit) + F.logsigmoid(-dequantisation_logit)) * text_mask, dim=(1, 2)
        )
        log_posterior = torch.sum(-0.5 * (LOG_TWO_PI + noise.square()) * text_mask, dim=(1, 2)) - posterior_log_det

        # In (frames, frames + 1] with the default offset 1: positive even for a token with 0 frames.
        continuous_durations = (durations + self.duration_offset - dequantisation) * text_mask
        log_durations, log_det_total = self.log_flow(continuous_durations, text_mask)
        latent = torch.cat([log_durations, auxiliary], dim=1)
        for flow in self.flows:
            latent, log_det = flow(latent, text_mask, condition)
            log_det_total = log_det_total + log_det
        negative_log_prior = torch.sum(0.5 * (LOG_TWO_PI + latent.square()) * text_mask, dim=(1, 2))
        return negative_log_prior - log_det_total + log_posterior

    def infer(
        self,
        text_hidden: Tensor,
        text_mask: Tensor,
        speaker_embedding: Tensor | None = None,
        noise_scale: float = 1.0,
        noise: Tensor | None = None,
        generator: torch.Generator | None = None,
    ) -> Tensor:
        """Sample ``(batch, 1, text_len)`` log durations; ``exp(.) - 1`` is frames per token.

        ``noise_scale`` scales the standard-normal sample; 0 gives the deterministic mode-like path.
        ``noise`` (batch, 2, text_len) replaces the sample (exported graphs take it as an input);
        otherwise it is drawn from ``generator`` (or the global generator).
        """
        condition = self._text_condition(text_hidden, text_mask, speaker_embedding)
        batch, _, text_len = text_mask.shape
        if noise is None:
            noise = torch.randn(
                batch, LATENT_CHANNELS, text_len, generator=generator, device=text_mask.device, dtype=text_mask.dtype
            )
        latent = noise * noise_scale * text_mask
        # The first spline coupling (applied last here) only changes the auxiliary channel, so the durations do
        # not depend on it (VITS leaves it out when sampling, with the same result).
        for flow in reversed(self.flows):
            latent, _ = flow(latent, text_mask, condition, reverse=True)
        return latent[:, :1] * text_mask
