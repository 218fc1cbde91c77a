"""Validation per language, and a warning while a language is being forgotten.

Every language with held-out clips gets a fixed validation batch. At the start of the run and at each
validation, its figures (``train/validation_figures.py``) are logged to TensorBoard as ``val_<lang>/<figure>``
(one curve per language), printed, and compared with the run's start: a watched figure more than
``margin`` (a fraction) above its start value raises a warning in the log and a ``forgetting`` entry in
the progress bar; when every language is over it at once, one warning says the whole model got worse.
Listeners (e.g. the fine-tuning best-voice keeper) receive each validation's figures.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from typing import Any

import lightning as L
import torch

from polyvox.data.dataset import Batch, EncodedUtterance, TtsDataset, collate
from polyvox.data.features_cache import FeatureCache
from polyvox.train.validation_figures import WATCHED_FIGURES, EvaluateFigures, change_text, figure_delta, language_figures

logger = logging.getLogger(__name__)

# figures[language][figure name] = value
Figures = dict[str, dict[str, float]]
# (module, step, figures) after each validation, the run's start included.
ValidationListener = Callable[[Any, int, Figures], None]


def language_batches(items: Sequence[EncodedUtterance], cache: FeatureCache) -> dict[str, Batch]:
    """One batch per language of the held-out clips, in first-seen order."""
    dataset = TtsDataset(list(items), cache)
    rows: dict[str, list[int]] = {}
    for index, item in enumerate(items):
        rows.setdefault(item.utterance.language, []).append(index)
    return {language: collate([dataset[i] for i in indices]) for language, indices in rows.items()}


def mean_figure(figures: Figures, name: str = "mel_loss") -> float:
    """The mean of one figure over the languages (NaN where none is finite)."""
    values = [language[name] for language in figures.values() if math.isfinite(language.get(name, math.nan))]
    return sum(values) / len(values) if values else math.nan


class LanguageValidation(L.Callback):
    def __init__(
        self,
        batches: dict[str, Batch],
        margin: float,
        evaluate: EvaluateFigures | None = None,
        listeners: Sequence[ValidationListener] = (),
    ) -> None:
        self.batches = batches
        self.margin = margin
        self.evaluate = evaluate
        self.listeners = list(listeners)
        self.start: Figures = {}
        self.last_step = -1
        # language -> relative rise of its worst watched figure, for the languages over the margin now.
        self.forgetting: dict[str, float] = {}
        # The largest rise when every language (two or more) is over the margin: the whole model got
        # worse (a learning rate too high, the adversarial phase starting), not one language forgotten.
        self.all_worse: float | None = None

    @property
    def progress_notes(self) -> dict[str, str]:
        """Shown beside the losses in the progress bar while a language is being forgotten."""
        if self.all_worse is not None:
            return {"worse": f"all+{self.all_worse:.0%}"}
        if not self.forgetting:
            return {}
        return {"forgetting": ",".join(f"{language}+{rise:.0%}" for language, rise in self.forgetting.items())}

    def measure(self, module: Any) -> Figures:
        device = module.device
        return {
            language: language_figures(module.generator, module.mel, batch.to(device), self.evaluate)
            for language, batch in self.batches.items()
        }

    def on_train_start(self, trainer: L.Trainer, module: Any) -> None:
        if not self.batches:
            return
        experiment = getattr(trainer.logger, "experiment", None)
        if hasattr(experiment, "add_custom_scalars"):
            # TensorBoard's "custom scalars" tab: one chart per figure, one curve per language.
            charts = {name: ["Multiline", [rf"val_[^/]+/{name}$"]] for name in ("mel_loss", "mcd_db", "log_duration_error", "frame_buzz")}
            experiment.add_custom_scalars({"validation per language": charts})
        if self.start:
            return  # resumed: the start figures came back with the checkpoint
        self.start = self.measure(module)
        self._publish(trainer, module, self.start)

    def on_validation_epoch_end(self, trainer: L.Trainer, module: Any) -> None:
        if not trainer.sanity_checking:
            self.validate(trainer, module)

    def on_train_end(self, trainer: L.Trainer, module: Any) -> None:
        # The last steps count too (the best voice may be the final one).
        self.validate(trainer, module)

    def validate(self, trainer: L.Trainer, module: Any) -> None:
        if not self.batches or self.last_step == module.steps_done:
            return
        with torch.no_grad():
            figures = self.measure(module)
        self._publish(trainer, module, figures)

    def _publish(self, trainer: L.Trainer, module: Any, figures: Figures) -> None:
        step = module.steps_done
        self.last_step = step
        if trainer.logger is not None:
            scalars = {
                f"val_{language}/{name}": value
                for language, values in figures.items()
                for name, value in values.items()
                if math.isfinite(value)
            }
            trainer.logger.log_metrics(scalars, step=step)
        for language, values in figures.items():
            logger.info("step %d validation %s: %s", step, language, self._describe(language, values, figures is not self.start))
        self._check_forgetting(step, figures)
        for listener in self.listeners:
            listener(module, step, figures)

    def _describe(self, language: str, values: dict[str, float], since_start: bool) -> str:
        """The finite figures (one that could not be measured, e.g. F0 of an unvoiced clip, is left out),
        each with its change since the start of the run."""
        parts = []
        for name, value in values.items():
            if math.isfinite(value):
                change = change_text(name, value, self.start.get(language, {}).get(name, math.nan)) if since_start else ""
                parts.append(f"{name} {value:.4g}" + (f" ({change} since start)" if change else ""))
        return ", ".join(parts)

    def _check_forgetting(self, step: int, figures: Figures) -> None:
        worse_by_language: dict[str, dict[str, float]] = {}
        for language, values in figures.items():
            rises = {
                name: figure_delta(values[name], self.start.get(language, {}).get(name, math.nan))
                for name in WATCHED_FIGURES
                if name in values
            }
            worse = {name: rise for name, rise in rises.items() if math.isfinite(rise) and rise > self.margin}
            if worse:
                worse_by_language[language] = worse
        self.forgetting = {language: max(worse.values()) for language, worse in worse_by_language.items()}
        self.all_worse = None
        if len(figures) >= 2 and len(worse_by_language) == len(figures):
            self.all_worse = max(self.forgetting.values())
            self.forgetting = {}
            logger.warning(
                "step %d: every language is worse than at the start of the run (%s; margin %.0f%%): the whole model, "
                "not one language. Mel loss often rises for a while when the discriminator joins; otherwise lower "
                "the learning rate",
                step, ", ".join(f"{language} {max(worse.values()):+.1%}" for language, worse in worse_by_language.items()),
                self.margin * 100,
            )
            return
        for language, worse in worse_by_language.items():
            logger.warning(
                "step %d: language %s is getting worse than at the start of the run (%s; margin %.0f%%): it may be "
                "being forgotten. Mix more of its clips in (--replay), raise training.language_temperature, or lower "
                "the learning rate",
                step, language, ", ".join(f"{name} {rise:+.1%}" for name, rise in worse.items()), self.margin * 100,
            )

    def state_dict(self) -> dict[str, Any]:
        return {"start": self.start, "last_step": self.last_step}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.start = {language: dict(values) for language, values in state["start"].items()}
        self.last_step = int(state["last_step"])
