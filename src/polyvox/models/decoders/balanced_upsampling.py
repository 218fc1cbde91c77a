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


def phase_matrix(kernel_size: int, stride: int) -> Tensor:
    """(kernel_size, stride): 1 where a tap belongs to an output phase; ``weight @ phase_matrix`` sums each phase."""
    return torch.nn.functional.one_hot(torch.arange(kernel_size) % stride, stride).to(torch.float32)


class BalancedPolyphase(nn.Module):
    """weight (in_channels, out_channels, kernel) -> the nearest weight (least squares) whose ``stride`` phase sums
    agree for every channel pair."""

    def __init__(self, stride: int, kernel_size: int) -> None:
        super().__init__()
        if not 1 <= stride <= kernel_size:
            raise ValueError(f"need 1 <= stride <= kernel_size, got stride={stride}, kernel_size={kernel_size}")
        self.register_buffer("phases", phase_matrix(kernel_size, stride), persistent=False)

    def forward(self, weight: Tensor) -> Tensor:
        phases = self.phases.to(weight.dtype)
        taps = phases.sum(0)
        sums = weight @ phases  # (in, out, stride)
        # The common sum is the sums' mean weighted by 1/taps: moving a phase with more taps costs less per tap.
        common = (sums / taps).sum(-1, keepdim=True) / (1.0 / taps).sum()
        return weight + ((common - sums) / taps) @ phases.T

    def right_inverse(self, weight: Tensor) -> Tensor:
        return weight


def phase_imbalance(weight: Tensor, stride: int) -> float:
    """How unequal a transposed convolution's phase sums are: the norm of their spread over the norm of their mean
    (0 for a balanced kernel)."""
    sums = weight.detach() @ phase_matrix(weight.shape[-1], stride).to(weight.device, weight.dtype)
    mean = sums.mean(-1, keepdim=True)
    return float((sums - mean).norm() / mean.norm().clamp_min(torch.finfo(weight.dtype).tiny))
