"""Transposed convolutions that cannot ring at their input's rate.

A transposed convolution with stride ``s`` is periodic in time with period ``s``: each output phase has its own
taps (the kernel's taps ``p, p + s, p + 2s, ...``). Fed a steady input, it answers each phase with the sum of that
phase's taps, so unless the ``s`` sums are equal a steady latent comes out as a tone at the input's rate and its
harmonics. In a decoder the first stage's input rate is the frame rate: the frame-rate comb (evaluation/buzz.py)
a voice's copy-synthesis shows even from steady latents. ``BalancedPolyphase`` projects the kernel onto those whose
phase sums are equal (the kernels of nearest-neighbour up-sampling followed by a convolution), so the comb can only
come from what changes from frame to frame. It is a parametrization: the layer, its weights' names and its export
stay a plain transposed convolution.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class BalancedPolyphase(nn.Module):
    """weight (in_channels, out_channels, kernel) -> the nearest weight (least squares) whose ``stride`` phase sums
    agree for every channel pair."""

    def __init__(self, stride: int, kernel_size: int) -> None:
        super().__init__()
        if not 1 <= stride <= kernel_size:
            raise ValueError(f"need 1 <= stride <= kernel_size, got stride={stride}, kernel_size={kernel_size}")
        phase = torch.arange(kernel_size) % stride
        taps = torch.bincount(phase, minlength=stride).to(torch.float32)
        # The common sum is the sums' mean weighted by 1/taps: moving a phase with more taps costs less per tap.
        weights = (1.0 / taps) / (1.0 / taps).sum()
        self.register_buffer("phase", phase, persistent=False)
        self.register_buffer("taps", taps, persistent=False)
        self.register_buffer("weights", weights, persistent=False)
        self.stride = stride

    def forward(self, weight: Tensor) -> Tensor:
        one_hot = torch.nn.functional.one_hot(self.phase, self.stride).to(weight.dtype)  # (kernel, stride)
        sums = weight @ one_hot  # (in, out, stride)
        common = (sums * self.weights.to(weight.dtype)).sum(-1, keepdim=True)
        correction = (common - sums) / self.taps.to(weight.dtype)
        return weight + correction @ one_hot.T

    def right_inverse(self, weight: Tensor) -> Tensor:
        return weight


def phase_imbalance(weight: Tensor, stride: int) -> float:
    """How unequal a transposed convolution's phase sums are: the norm of their spread over the norm of their mean
    (0 for a balanced kernel)."""
    phase = torch.arange(weight.shape[-1], device=weight.device) % stride
    sums = weight.detach() @ torch.nn.functional.one_hot(phase, stride).to(weight.dtype)
    mean = sums.mean(-1, keepdim=True)
    return float((sums - mean).norm() / mean.norm().clamp_min(torch.finfo(weight.dtype).tiny))
