"""Weight norm as a plain weight or as a (magnitude, direction) pair, in either direction, same computed weight.

VITS, Piper and MeloTTS leave some convolutions without weight norm (``conv_pre`` and ``conv_post`` of the
decoder) that polyvox normalises, and store pairs as ``weight_g``/``weight_v``. PyTorch's weight norm
(``dim=0``) computes ``weight = g * v / ||v||`` with the norm over every axis but the first.
"""

from __future__ import annotations

import torch
from torch import Tensor


def norm_except_first_axis(tensor: Tensor) -> Tensor:
    """(out, ...) -> (out, 1, ..., 1): the L2 norm of each slice along the first axis."""
    return tensor.flatten(1).norm(dim=1).view(-1, *([1] * (tensor.dim() - 1)))


def weight_from_pair(magnitude: Tensor, direction: Tensor) -> Tensor:
    return magnitude * direction / norm_except_first_axis(direction)


def pair_from_weight(weight: Tensor) -> tuple[Tensor, Tensor]:
    """(g, v) with g * v / ||v|| == weight: v is the weight itself, g its norms."""
    return norm_except_first_axis(weight), weight.clone()


def zero_magnitude(direction: Tensor) -> Tensor:
    """A magnitude of zeros for ``direction``: the weight is zero, the direction stays trainable once it grows."""
    return torch.zeros_like(norm_except_first_axis(direction))
