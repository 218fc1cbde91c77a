"""The decoders' 1-D convolutions run as 2-D ones on a ``(batch, channels, 1, time)`` channels-last tensor.

On the CPU, PyTorch's convolutions (oneDNN) are faster in this layout for the long, narrow activations
of a decoder's last stages, forward and backward (benchmarks/README.md, Inference, says by how much).
The weights are the modules' own tensors viewed with one more axis, so state dicts, gradients and
outputs are those of the 1-D convolutions (to float rounding); a module keeps its plain ``forward``
for 3-D input.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def to_time_2d(hidden: Tensor) -> Tensor:
    """(batch, channels, time) -> (batch, channels, 1, time) in channels-last memory."""
    return hidden.unsqueeze(2).contiguous(memory_format=torch.channels_last)


def from_time_2d(hidden: Tensor) -> Tensor:
    """(batch, channels, 1, time) -> contiguous (batch, channels, time)."""
    return hidden.squeeze(2).contiguous()


def conv_time_2d(conv: nn.Conv1d | nn.ConvTranspose1d, hidden: Tensor) -> Tensor:
    """Apply ``conv`` (its weight, bias, stride, padding, dilation and groups) to a 4-D ``hidden``.

    Only numeric paddings are handled (every decoder convolution has one); any extra padding a
    subclass adds in its ``forward`` is the caller's to apply.
    """
    if not isinstance(conv.padding, tuple):
        raise ValueError(f"conv_time_2d needs a numeric padding, got {conv.padding!r}")
    weight = conv.weight.unsqueeze(2)
    stride, padding, dilation = (1, conv.stride[0]), (0, conv.padding[0]), (1, conv.dilation[0])
    if isinstance(conv, nn.ConvTranspose1d):
        output_padding = (0, conv.output_padding[0])
        return F.conv_transpose2d(hidden, weight, conv.bias, stride, padding, output_padding, conv.groups, dilation)
    return F.conv2d(hidden, weight, conv.bias, stride, padding, dilation, conv.groups)


def apply_conv(conv: nn.Module, hidden: Tensor) -> Tensor:
    """``conv(hidden)`` for 3-D input; the same convolution in the 2-D layout for 4-D input."""
    if hidden.dim() == 4:
        return conv_time_2d(conv, hidden)  # type: ignore[arg-type]
    return conv(hidden)
