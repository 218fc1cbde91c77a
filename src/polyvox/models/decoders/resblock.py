"""HiFi-GAN residual block ("ResBlock1"): dilated convolutions that keep the frame count."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.parametrizations import weight_norm

from polyvox.models.conv_geometry import Reach, conv_reach
from polyvox.models.decoders.layout import conv_time_2d

# Negative slope of every leaky ReLU in the decoders and discriminators (HiFi-GAN's value).
LEAKY_RELU_SLOPE = 0.1
# Standard deviation of the normal initialisation of up-sampling and residual convolutions (HiFi-GAN).
CONV_INIT_STD = 0.01


def same_padding(kernel_size: int, dilation: int = 1) -> tuple[int, int]:
    """(left, right) zero padding that keeps the length of a stride-1 convolution; right >= left."""
    total = dilation * (kernel_size - 1)
    return total // 2, total - total // 2


class LengthPreservingConv1d(nn.Conv1d):
    """Stride-1 ``Conv1d`` whose output has as many frames as its input, for odd and even kernels.

    The symmetric part of the padding is the convolution's own; an even receptive field needs one
    more zero on the right, added explicitly (a static pad, so export stays simple).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, dilation: int = 1) -> None:
        left, right = same_padding(kernel_size, dilation)
        super().__init__(in_channels, out_channels, kernel_size, dilation=dilation, padding=left)
        self.extra_right_padding = right - left

    def forward(self, hidden: Tensor) -> Tensor:
        if self.extra_right_padding:
            hidden = F.pad(hidden, (0, self.extra_right_padding))
        if hidden.dim() == 4:  # the decoders' channels-last layout (layout.py)
            return conv_time_2d(self, hidden)
        return super().forward(hidden)


def conv_chain_reach(kernel_size: int, dilations: list[int]) -> Reach:
    """Frames an output of length-preserving convolutions in series reads."""
    total = Reach()
    for dilation in dilations:
        total = total + conv_reach(kernel_size, dilation, same_padding(kernel_size, dilation)[0])
    return total


def _normed_conv(channels: int, kernel_size: int, dilation: int) -> nn.Module:
    conv = LengthPreservingConv1d(channels, channels, kernel_size, dilation)
    nn.init.normal_(conv.weight, mean=0.0, std=CONV_INIT_STD)
    return weight_norm(conv)


class ResidualBlock(nn.Module):
    """(batch, channels, frames) -> (batch, channels, frames).

    For each dilation: leaky ReLU, dilated conv, leaky ReLU, undilated conv, residual add.
    Attribute names (``convs1`` dilated, ``convs2`` undilated) follow VITS so imported checkpoints map 1:1.
    """

    def __init__(self, channels: int, kernel_size: int, dilations: tuple[int, ...]) -> None:
        super().__init__()
        if not dilations:
            raise ValueError("a residual block needs at least one dilation")
        self.convs1 = nn.ModuleList(_normed_conv(channels, kernel_size, dilation) for dilation in dilations)
        self.convs2 = nn.ModuleList(_normed_conv(channels, kernel_size, 1) for _ in dilations)

    @staticmethod
    def reach(kernel_size: int, dilations: tuple[int, ...]) -> Reach:
        return conv_chain_reach(kernel_size, [layer for dilation in dilations for layer in (dilation, 1)])

    def forward(self, hidden: Tensor) -> Tensor:
        # Without autograd, fresh convolution outputs are updated in place: fewer large allocations at synthesis.
        inplace = not torch.is_grad_enabled()
        for dilated_conv, plain_conv in zip(self.convs1, self.convs2):
            residual = dilated_conv(F.leaky_relu(hidden, LEAKY_RELU_SLOPE))
            residual = plain_conv(F.leaky_relu(residual, LEAKY_RELU_SLOPE, inplace=inplace))
            hidden = residual.add_(hidden) if inplace else hidden + residual
        return hidden


class SingleConvResidualBlock(nn.Module):
    """HiFi-GAN's lighter "ResBlock2" (Piper's low and medium voices): per dilation a leaky ReLU, one dilated
    conv and a residual add. ``convs`` follows VITS's name."""

    def __init__(self, channels: int, kernel_size: int, dilations: tuple[int, ...]) -> None:
        super().__init__()
        if not dilations:
            raise ValueError("a residual block needs at least one dilation")
        self.convs = nn.ModuleList(_normed_conv(channels, kernel_size, dilation) for dilation in dilations)

    @staticmethod
    def reach(kernel_size: int, dilations: tuple[int, ...]) -> Reach:
        return conv_chain_reach(kernel_size, list(dilations))

    def forward(self, hidden: Tensor) -> Tensor:
        inplace = not torch.is_grad_enabled()  # as in ResidualBlock
        for conv in self.convs:
            residual = conv(F.leaky_relu(hidden, LEAKY_RELU_SLOPE))
            hidden = residual.add_(hidden) if inplace else hidden + residual
        return hidden


RESIDUAL_BLOCKS: dict[str, type[ResidualBlock] | type[SingleConvResidualBlock]] = {
    "1": ResidualBlock, "2": SingleConvResidualBlock,
}


def build_residual_block(resblock_type: str, channels: int, kernel_size: int, dilations: tuple[int, ...]) -> nn.Module:
    """``"1"``: :class:`ResidualBlock`; ``"2"``: :class:`SingleConvResidualBlock` (``DecoderConfig.resblock_type``)."""
    return RESIDUAL_BLOCKS[resblock_type](channels, kernel_size, dilations)
