"""Non-causal WaveNet stack (gated dilated convolutions), shared by the posterior encoder and the flow."""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils.parametrizations import weight_norm

from polyvox.models.conv_geometry import ConvStep, Reach, conv_reach, minimum_input_length
from polyvox.models.dropout import Dropout


def _padding(kernel_size: int, dilation: int) -> int:
    return (kernel_size * dilation - dilation) // 2


class WaveNet(nn.Module):
    """Gated residual stack: (batch, hidden, frames) -> (batch, hidden, frames) skip sum.

    Speaker conditioning enters every layer through one shared 1x1 projection.
    """

    def __init__(
        self,
        hidden_channels: int,
        kernel_size: int,
        dilation_rate: int,
        n_layers: int,
        speaker_channels: int = 0,
        dropout: float = 0.0,
    ) -> None:
        super().__init__()
        self.hidden_channels = hidden_channels
        self.n_layers = n_layers
        self.dropout = Dropout(dropout)
        self.speaker_projection = (
            weight_norm(nn.Conv1d(speaker_channels, 2 * hidden_channels * n_layers, 1)) if speaker_channels > 0 else None
        )
        self.input_convs = nn.ModuleList()
        self.residual_skip_convs = nn.ModuleList()
        for layer in range(n_layers):
            dilation = dilation_rate**layer
            padding = _padding(kernel_size, dilation)
            self.input_convs.append(
                weight_norm(nn.Conv1d(hidden_channels, 2 * hidden_channels, kernel_size, dilation=dilation, padding=padding))
            )
            # The last layer only feeds the skip path, so it needs half the outputs.
            out_channels = 2 * hidden_channels if layer < n_layers - 1 else hidden_channels
            self.residual_skip_convs.append(weight_norm(nn.Conv1d(hidden_channels, out_channels, 1)))

    @staticmethod
    def reach(kernel_size: int, dilation_rate: int, n_layers: int) -> Reach:
        """Frames each output reads: the dilated convolutions in series (the 1x1 ones read their own frame)."""
        total = Reach()
        for layer in range(n_layers):
            dilation = dilation_rate**layer
            total = total + conv_reach(kernel_size, dilation, _padding(kernel_size, dilation))
        return total

    @staticmethod
    def minimum_frames(kernel_size: int, dilation_rate: int, n_layers: int) -> int:
        """The shortest input every layer accepts."""
        steps = []
        for layer in range(n_layers):
            dilation = dilation_rate**layer
            steps.append(ConvStep(kernel_size, dilation=dilation, total_padding=2 * _padding(kernel_size, dilation)))
        return minimum_input_length(steps)

    def forward(self, hidden: Tensor, mask: Tensor, speaker_embedding: Tensor | None = None) -> Tensor:
        """hidden (batch, hidden, frames), mask (batch, 1, frames), speaker (batch, speaker_channels, 1)."""
        skip_sum = torch.zeros_like(hidden)
        speaker_terms = None
        if speaker_embedding is not None and self.speaker_projection is not None:
            speaker_terms = self.speaker_projection(speaker_embedding)
        channels = self.hidden_channels
        for layer, (input_conv, res_skip_conv) in enumerate(zip(self.input_convs, self.residual_skip_convs)):
            activations = input_conv(hidden)
            if speaker_terms is not None:
                offset = layer * 2 * channels
                activations = activations + speaker_terms[:, offset : offset + 2 * channels]
            gated = torch.tanh(activations[:, :channels]) * torch.sigmoid(activations[:, channels:])
            res_skip = res_skip_conv(self.dropout(gated))
            if layer < self.n_layers - 1:
                hidden = (hidden + res_skip[:, :channels]) * mask
                skip_sum = skip_sum + res_skip[:, channels:]
            else:
                skip_sum = skip_sum + res_skip
        return skip_sum * mask
