"""Small layers shared by several components."""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn import functional as F


class LayerNorm(nn.Module):
    """Layer normalisation over the channel axis of ``(batch, channels, time)`` tensors."""

    def __init__(self, channels: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.channels = channels
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))

    def forward(self, hidden: Tensor) -> Tensor:
        """hidden (batch, channels, time) -> same shape, normalised per time step."""
        normalised = F.layer_norm(hidden.transpose(1, -1), (self.channels,), self.weight, self.bias, self.eps)
        # Back to (batch, channels, time) in memory too: element-wise ops that mix a transposed view with
        # contiguous tensors take torch's slow strided path on CPU; this copy makes LayerNorm + GELU + add
        # train faster (benchmarks/training_kernels.py measures by how much).
        return normalised.transpose(1, -1).contiguous()
