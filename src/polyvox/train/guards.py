"""Non-finite values in training: where they come from, and what the run does after too many of them.

The normal step only checks the losses and the gradient norm. Only after a bad step is the
forward pass run again, with hooks, to name the first module whose output is NaN or infinite.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import lightning as L
import torch
from torch import Tensor

from polyvox.errors import TrainingDivergedError
from polyvox.train.callbacks import checkpoint_files
from polyvox.train.sharding import is_sharded

logger = logging.getLogger(__name__)


def _tensors(value: Any) -> list[Tensor]:
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [tensor for item in value for tensor in _tensors(item)]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [tensor for item in vars(value).values() for tensor in _tensors(item)]
    return []


def _all_finite(value: Any) -> bool:
    return all(bool(torch.isfinite(t).all()) for t in _tensors(value) if t.is_floating_point())


def non_finite_field(batch: Any) -> str | None:
    """The name of the first floating-point field of ``batch`` (a dataclass) holding NaN or infinity."""
    for name, value in vars(batch).items():
        if isinstance(value, Tensor) and not _all_finite(value):
            return name
    return None


def first_non_finite_module(model: torch.nn.Module, forward: Callable[[], Any]) -> str | None:
    """Run ``forward`` (without gradients, random state untouched) with hooks on every sub-module of
    ``model``; the name of the first one (in execution order) whose output is not finite, or None."""
    found: list[str] = []
    handles = []

    def hook_for(name: str) -> Callable[..., None]:
        def hook(module: torch.nn.Module, inputs: Any, output: Any) -> None:
            if not found and not _all_finite(output):
                found.append(name or type(module).__name__)

        return hook

    for name, module in model.named_modules():
        handles.append(module.register_forward_hook(hook_for(name)))
    try:
        with torch.no_grad(), torch.random.fork_rng(devices=[]):
            forward()
    finally:
        for handle in handles:
            handle.remove()
    return found[0] if found else None


def non_finite_parameter(model: torch.nn.Module, gradients: bool) -> str | None:
    """The first parameter (or its gradient) of ``model`` holding NaN or infinity."""
    for name, parameter in model.named_parameters():
        value = parameter.grad if gradients else parameter
        if value is not None and not bool(torch.isfinite(value).all()):
            return name
    return None


class NonFiniteRollback(L.Callback):
    """After ``max_bad`` consecutive skipped steps: restore the newest checkpoint whose weights are finite
    (generator, discriminator and optimizer states) with the learning rates times ``lr_factor``.
    If that happens again before one good step, or there is no checkpoint, raise TrainingDivergedError."""

    def __init__(self, folder: Path, max_bad: int, lr_factor: float) -> None:
        self.folder = folder
        self.max_bad = max_bad
        self.lr_factor = lr_factor

    def on_train_batch_end(self, trainer: L.Trainer, module: Any, outputs: Any, batch: Any, batch_index: int) -> None:
        if module.consecutive_bad_steps < self.max_bad:
            return
        what = f"{module.consecutive_bad_steps} consecutive steps with non-finite values (last at step {module.steps_done})"
        if module.rolled_back and not module.good_steps_since_rollback:
            raise TrainingDivergedError(
                f"{what}, right after going back to a checkpoint at a lower learning rate; "
                "training stopped. Check the data (RUN/data_report.json), lower training.learning_rate, "
                "or run `polyvox doctor` on the newest checkpoint"
            )
        restored = self._newest_finite_checkpoint()
        if restored is None:
            raise TrainingDivergedError(
                f"{what} and no checkpoint with finite weights in {self.folder} to go back to; training stopped. "
                "Lower training.learning_rate or check the data (RUN/data_report.json)"
            )
        path, state = restored
        if is_sharded(module):
            trainer.strategy.load_checkpoint(path)  # every process: its shards of the weights and optimizer states
        else:
            module.load_state_dict(state["state_dict"])
            for optimizer, optimizer_state in zip(trainer.optimizers, state["optimizer_states"]):
                optimizer.load_state_dict(optimizer_state)
        for optimizer in trainer.optimizers:
            for group in optimizer.param_groups:
                group["lr"] *= self.lr_factor
        learning_rate = trainer.optimizers[0].param_groups[0]["lr"]
        logger.warning(
            "%s: rolled back to %s; learning rate multiplied by %g (now %.3g)", what, path.name, self.lr_factor, learning_rate
        )
        module.note_rollback()

    def _newest_finite_checkpoint(self) -> tuple[Path, dict[str, Any]] | None:
        for path in reversed(checkpoint_files(self.folder)):
            state = torch.load(path, map_location="cpu", weights_only=True)
            if _all_finite(list(state["state_dict"].values())):
                return path, state
            logger.warning("%s has non-finite weights; looking at an older checkpoint", path.name)
        return None
