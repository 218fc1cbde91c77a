"""The learning rate of each optimizer step: an optional linear warm-up, then exponential decay."""

from __future__ import annotations

from typing import Any

import torch

from polyvox.config import TrainingConfig


class WarmupThenDecay:
    """The factor of step ``k`` (from 0): (k + 1) / warmup_steps up to 1, times decay ** k. A class, not a closure, so a
    checkpoint saves it and a resumed run gets the same schedule back."""

    def __init__(self, warmup_steps: int, decay: float) -> None:
        self.warmup_steps = warmup_steps
        self.decay = decay

    def __call__(self, step: int) -> float:
        return min(1.0, (step + 1) / self.warmup_steps) * self.decay**step


def learning_rate_schedule(optimizer: torch.optim.Optimizer, training: TrainingConfig) -> Any:
    if training.warmup_steps == 0:
        # Runs made before the warm-up existed resume into the same scheduler, with the same state.
        return torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=training.lr_decay_per_step)
    return torch.optim.lr_scheduler.LambdaLR(optimizer, WarmupThenDecay(training.warmup_steps, training.lr_decay_per_step))
