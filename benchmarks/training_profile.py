"""Wall-clock sections of a VitsTrainingModule step, for benchmarks/training_speed.py.

``bare_module`` lets the module's own ``training_step`` run without a Trainer, so several variants
can take turns step by step (noise from other work on the machine then hits them alike). Module
forwards are timed with forward hooks, the alignment functions and backward passes by wrapping
them; what is left of a step (losses, logging) is reported as the rest. Nothing here changes what
the step computes.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import torch

import polyvox.models.vits as vits_module

# Report order; "data loading" and "rest" are filled in by the caller.
SECTIONS = (
    "data loading",
    "text encoder",
    "posterior encoder",
    "flow",
    "alignment search",
    "duration predictors",
    "decoder",
    "discriminators (forward)",
    "mel of generated audio",
    "backward: generator loss",
    "backward: discriminator loss",
    "optimizer + clipping",
    "rest (losses, logging)",
)


class SectionTimer:
    """Sums wall time per section while ``active``."""

    def __init__(self) -> None:
        self.totals: dict[str, float] = defaultdict(float)
        self.active = False

    @contextmanager
    def section(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - started)

    def add(self, name: str, seconds: float) -> None:
        if self.active:
            self.totals[name] += seconds


class AlignmentTimer:
    """Times the alignment functions vits.py calls, for whichever step is running (``current``)."""

    def __init__(self) -> None:
        self.current: SectionTimer | None = None
        self._originals = (vits_module.monotonic_alignment_search, vits_module.durations_to_path)
        vits_module.monotonic_alignment_search = self._timed(self._originals[0])
        vits_module.durations_to_path = self._timed(self._originals[1])

    def _timed(self, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if self.current is None:
                return function(*args, **kwargs)
            with self.current.section("alignment search"):
                return function(*args, **kwargs)

        return wrapper

    def restore(self) -> None:
        vits_module.monotonic_alignment_search, vits_module.durations_to_path = self._originals


def _hook_module(timer: SectionTimer, module: torch.nn.Module, name: str) -> None:
    starts: list[float] = []
    module.register_forward_pre_hook(lambda *_: starts.append(time.perf_counter()))
    module.register_forward_hook(lambda *_: timer.add(name, time.perf_counter() - starts.pop()))


def bare_module(module: Any) -> None:
    """Let ``module.training_step`` run without a Lightning Trainer: plain optimizers and schedulers,
    plain backward, logging off. The step computes exactly what it computes under ``polyvox train``."""
    optimizers, schedulers = module.configure_optimizers()
    module.optimizers = lambda: optimizers
    module.lr_schedulers = lambda: schedulers
    module.manual_backward = lambda loss, *args, **kwargs: loss.backward(*args, **kwargs)
    module.log = lambda *args, **kwargs: None
    module.log_dict = lambda *args, **kwargs: None


def instrument(module: Any, timer: SectionTimer) -> None:
    """Attach the section timers to a bare VitsTrainingModule (see ``bare_module``)."""
    generator = module.generator
    for attribute, name in (
        ("text_encoder", "text encoder"),
        ("posterior_encoder", "posterior encoder"),
        ("flow", "flow"),
        ("duration_predictor", "duration predictors"),
        ("stochastic_duration_predictor", "duration predictors"),
        ("decoder", "decoder"),
    ):
        _hook_module(timer, getattr(generator, attribute), name)
    for discriminator in module.discriminator.discriminators:
        _hook_module(timer, discriminator, "discriminators (forward)")
    _hook_module(timer, module.mel, "mel of generated audio")

    guarded_step = module._guarded_step
    backward = module.manual_backward
    current = {"name": ""}

    def timed_backward(loss: torch.Tensor, *args: Any, **kwargs: Any) -> None:
        with timer.section(f"backward: {current['name']} loss"):
            backward(loss, *args, **kwargs)

    def timed_guarded_step(optimizer: Any, loss: torch.Tensor, target: torch.nn.Module, name: str, batch: Any) -> bool:
        current["name"] = name
        before = sum(timer.totals.values())
        started = time.perf_counter()
        result = guarded_step(optimizer, loss, target, name, batch)
        inner = sum(timer.totals.values()) - before
        timer.add("optimizer + clipping", time.perf_counter() - started - inner)
        return result

    module.manual_backward = timed_backward
    module._guarded_step = timed_guarded_step
