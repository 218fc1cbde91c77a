"""Dropout with masks drawn from 16-bit random numbers.

torch's CPU dropout draws one random number per element through ``bernoulli_``, a visible share of a
medium-preset training step (its text encoder and duration predictors). One 32-bit draw here makes two
elements' masks, for the same Bernoulli(1 - p) keep probability (p is rounded to a multiple of 1/65536,
well below any dropout rate's meaning), faster forward and backward (benchmarks/training_kernels.py).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

_LEVELS = 1 << 16


class Dropout(nn.Module):
    """Zeroes each element with probability ``p`` in training and scales the rest by 1 / (1 - p); identity in eval."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__()
        if not 0.0 <= p < 1.0:
            raise ValueError(f"dropout probability must be in [0, 1), got {p}")
        self.p = p
        # Signed 16-bit draws at or above this are kept: a fraction 1 - p of the 65536 values.
        self.threshold = round(p * _LEVELS) - _LEVELS // 2

    def forward(self, hidden: Tensor) -> Tensor:
        if not self.training or self.p == 0.0 or hidden.numel() == 0:
            return hidden
        draws = keep_draws(hidden.numel(), hidden.device).view(hidden.shape)
        return torch.where(draws >= self.threshold, hidden * (1.0 / (1.0 - self.p)), 0.0)

    def extra_repr(self) -> str:
        return f"p={self.p}"


def keep_draws(count: int, device: torch.device) -> Tensor:
    """``count`` independent uniform int16 values from ``count / 2`` uniform 32-bit draws."""
    words = torch.randint(-(1 << 31), 1 << 31, ((count + 1) // 2,), dtype=torch.int32, device=device)
    return words.view(torch.int16)[:count]
