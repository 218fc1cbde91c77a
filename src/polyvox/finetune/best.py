"""Keep the best step: the output voice is rewritten whenever validation improves, never by a worse step."""

from __future__ import annotations

import dataclasses
import logging
import math
from pathlib import Path
from typing import Any

import lightning as L

from polyvox.voice_file import save_voice
from polyvox.train.language_validation import Figures, mean_figure

logger = logging.getLogger(__name__)


class BestVoice(L.Callback):
    """A listener of ``LanguageValidation``: the score is the mean of one validation figure over languages,
    ``mel_loss`` unless another is named (``listener_cer``: a speech recognizer's error rate, which
    ``ListenerValidation`` adds to the figures before this listener reads them).

    The run's start counts as a candidate, so if training only makes the voice worse, the output is the
    voice it started from (grown tables included). Steps equal on another figure (a voice the listener already
    understands fully scores 0 at every step) are told apart by ``mel_loss``. A Lightning callback only for its
    state, which a resumed run gets back from the checkpoint.
    """

    def __init__(self, output: Path, figure: str = "mel_loss", half: bool = False) -> None:
        self.output = output
        self.figure = figure
        self.half = half
        self.best_score = math.inf
        self.best_tie_breaker = math.inf  # the best step's mel_loss, which decides between equal scores
        self.best_step: int | None = None

    def __call__(self, module: Any, step: int, figures: Figures) -> None:
        score = mean_figure(figures, self.figure)
        tie_breaker = mean_figure(figures) if self.figure != "mel_loss" else score
        tie_breaker = tie_breaker if math.isfinite(tie_breaker) else math.inf  # no mel_loss: the earlier step stays
        if not math.isfinite(score) or (score, tie_breaker) >= (self.best_score, self.best_tie_breaker):
            return
        self.best_score, self.best_tie_breaker, self.best_step = score, tie_breaker, step
        if module.trainer.is_global_zero:
            info = dict(module.metadata.info, steps=str(step), **{f"validation_{self.figure}": f"{score:.6g}"})
            save_voice(self.output, module.generator.state_dict(), dataclasses.replace(module.metadata, info=info), half=self.half)
        logger.info("step %d: best validation so far (mean %s %.4g); wrote %s", step, self.figure, score, self.output)

    def state_dict(self) -> dict[str, Any]:
        return {
            "best_score": self.best_score, "best_tie_breaker": self.best_tie_breaker,
            "best_step": -1 if self.best_step is None else self.best_step,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.best_score = float(state["best_score"])
        self.best_tie_breaker = float(state.get("best_tie_breaker", math.inf))  # absent from older runs' checkpoints
        self.best_step = None if int(state["best_step"]) < 0 else int(state["best_step"])
