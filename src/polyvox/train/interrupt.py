"""Ctrl-C during training: finish the step, save a checkpoint there, then stop; a second Ctrl-C stops at once.

Without this, Ctrl-C stopped mid-step and every step since the last checkpoint was lost. Every process of
a multi-process run stops after the same step (the request is agreed at each step's end), so none waits
for the others in a step they never take.
"""

from __future__ import annotations

import logging
import signal
import threading
from types import FrameType
from typing import Any

import lightning as L

logger = logging.getLogger(__name__)


class StopAtStepEnd(L.Callback):
    """Turns the first SIGINT into a stop after the current step (the checkpoint callback then saves it)."""

    def __init__(self) -> None:
        self.requested = False
        self.stopped_at: int | None = None  # the step training stopped after, when Ctrl-C stopped it
        self._previous: Any = None

    def on_train_start(self, trainer: L.Trainer, module: Any) -> None:
        if threading.current_thread() is threading.main_thread():  # signals reach the main thread only
            self._previous = signal.signal(signal.SIGINT, self._request)

    def _request(self, number: int, frame: FrameType | None) -> None:
        if self.requested:  # the second Ctrl-C: at once, as before
            self._restore()
            raise KeyboardInterrupt
        self.requested = True
        logger.warning("Ctrl-C: stopping after this step and saving a checkpoint there (Ctrl-C again to stop at once)")

    def on_train_batch_end(self, trainer: L.Trainer, module: Any, outputs: Any, batch: Any, batch_index: int) -> None:
        if trainer.strategy.reduce_boolean_decision(self.requested, all=False):
            self.stopped_at = module.steps_done
            trainer.should_stop = True

    def on_train_end(self, trainer: L.Trainer, module: Any) -> None:
        self._restore()

    def on_exception(self, trainer: L.Trainer, module: Any, exception: BaseException) -> None:
        self._restore()

    def _restore(self) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None
