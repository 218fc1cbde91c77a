"""Training's default thread count, measured: polyvox's default against one thread, on the run's own steps.

Whether more threads help depends on the model and the machine: on an idle 2-core machine the tiny preset
trained at 5.2 steps/s on two threads and 6.8 on one (small tensors spend more time handing work between
threads than computing), while larger models gain from every core (issue #19, benchmarks/threads.py). So
when polyvox chose the count (no ``--threads``, no ``OMP_NUM_THREADS``), the first steps take turns between
that count and one thread, and the run keeps whichever computed a frame of audio faster; taking turns
step by step cancels a load that changes meanwhile. The trial is repeated now and then, because other
work on a shared machine comes and goes, and when the discriminator joins, which changes the step.
"""

from __future__ import annotations

import logging
import statistics
import time
from typing import Any

import lightning as L

from polyvox.threads import apply_torch_threads

logger = logging.getLogger(__name__)

# Steps before the first trial (the first steps pay for allocation and warm caches).
SETTLE_STEPS = 2
# Steps timed for each of the two thread counts in one trial.
TRIAL_STEPS = 6
# A trial again after this many steps.
RETRIAL_EVERY_STEPS = 1000
# One thread must be this much faster to be chosen over the default: a close call keeps the default.
MARGIN = 1.05


class ThreadTuning(L.Callback):
    """Keeps the faster of ``threads`` and one thread, by seconds per mel frame of steps taking turns (each timed
    from its start to the next one's, so the loading of the next batch counts)."""

    def __init__(self, threads: int, settle_steps: int = SETTLE_STEPS, trial_steps: int = TRIAL_STEPS,
                 retrial_every_steps: int = RETRIAL_EVERY_STEPS) -> None:
        self.threads = threads
        self.settle_steps = settle_steps
        self.trial_steps = trial_steps
        self.retrial_every_steps = retrial_every_steps
        self.chosen = threads
        self.choices: list[tuple[int, int]] = []  # (step, threads) of each trial's decision, for reports and tests
        self._trial_start: int | None = None
        self._timings: dict[int, list[float]] = {}
        self._next_trial: int | None = None
        self._adversarial = False
        self._running: int | None = None  # the thread count of the trial step under way
        self._started = 0.0
        self._frames = 1.0

    def on_train_start(self, trainer: L.Trainer, module: Any) -> None:
        self._schedule(module.steps_done + self.settle_steps)

    def _schedule(self, step: int) -> None:
        self._trial_start, self._next_trial = step, None
        self._timings = {self.threads: [], 1: []}

    def _trial_threads(self, step: int) -> int | None:
        """The count a step of the trial runs with, or None outside a trial. In the order A B B A: batches that
        take turns (the language-balanced sampler alternates languages) fall to both counts alike."""
        if self._trial_start is None or step < self._trial_start:
            return None
        offset = step - self._trial_start
        if offset >= 2 * self.trial_steps:
            return None
        return self.threads if offset % 4 in (0, 3) else 1

    def on_train_batch_start(self, trainer: L.Trainer, module: Any, batch: Any, batch_index: int) -> None:
        now = time.perf_counter()
        if self._running is not None:
            # The previous step's whole cycle, up to this batch: the step, and the loading of this batch, which ran
            # with the previous step's threads (collating many small tensors is where a second thread can cost).
            self._timings[self._running].append((now - self._started) / self._frames)
            self._running = None
            if all(len(timings) == self.trial_steps for timings in self._timings.values()):
                self._decide(module.steps_done)
        adversarial = bool(getattr(module, "adversarial_active", lambda: False)())
        if self._trial_start is None:
            if adversarial and not self._adversarial:
                self._schedule(module.steps_done)  # the discriminator makes every step heavier
            elif self._next_trial is not None and module.steps_done >= self._next_trial:
                self._schedule(module.steps_done)
        self._adversarial = adversarial
        self._running = self._trial_threads(module.steps_done)
        if self._running is not None:
            apply_torch_threads(self._running)
            # Per mel frame: the posterior encoder's share of a step grows with the batch's clips.
            self._frames = max(float(batch.mel_lengths.sum()) if hasattr(batch, "mel_lengths") else 1.0, 1.0)
            self._started = time.perf_counter()

    def _decide(self, next_step: int) -> None:
        default, one = (statistics.median(self._timings[count]) for count in (self.threads, 1))
        self.chosen = 1 if one * MARGIN < default else self.threads
        apply_torch_threads(self.chosen)
        self.choices.append((next_step, self.chosen))
        logger.info(
            "threads: %d computed a frame in %.3g ms, one thread in %.3g ms; training on %d from step %d "
            "(--threads N to choose; measured again in %d steps)",
            self.threads, default * 1e3, one * 1e3, self.chosen, next_step, self.retrial_every_steps,
        )
        self._trial_start, self._next_trial = None, next_step + self.retrial_every_steps
