"""Checkpointing and progress for step-counted training."""

from __future__ import annotations

import dataclasses
import logging
import os
from pathlib import Path
from typing import Any

import lightning as L
from lightning.pytorch.callbacks import TQDMProgressBar

from polyvox.voice_file import save_voice
from polyvox.errors import OutputWriteError
from polyvox.files import write_failure
from polyvox.train.sharding import whole_state_dict

logger = logging.getLogger(__name__)

CHECKPOINT_PREFIX = "step-"


def checkpoint_files(folder: Path) -> list[Path]:
    """Complete training checkpoints, oldest first (partial files never carry the final name)."""
    files = [path for path in folder.glob(f"{CHECKPOINT_PREFIX}*.ckpt") if path.is_file()]
    return sorted(files, key=lambda path: int(path.stem[len(CHECKPOINT_PREFIX) :]))


def _bytes_needed(temporary: Path, existing: list[Path]) -> int:
    """A checkpoint's size: what the failed write had reached, or the newest complete one's if larger."""
    sizes = [path.stat().st_size for path in [temporary, *existing[-1:]] if path.is_file()]
    return max(sizes, default=0)


class StepCheckpoint(L.Callback):
    """Every N steps (and at the end): an atomic training checkpoint, the newest K kept, and the voice file
    (none when ``voice_path`` is None: fine-tuning writes only its best step)."""

    def __init__(self, folder: Path, voice_path: Path | None, every_steps: int, keep: int) -> None:
        self.folder = folder
        self.voice_path = voice_path
        self.every_steps = every_steps
        self.keep = keep
        folder.mkdir(parents=True, exist_ok=True)

    def on_train_batch_end(self, trainer: L.Trainer, module: Any, outputs: Any, batch: Any, batch_index: int) -> None:
        if module.steps_done % self.every_steps == 0:
            self._save_if_good(trainer, module)

    def on_train_end(self, trainer: L.Trainer, module: Any) -> None:
        if module.consecutive_bad_steps:
            self._save_if_good(trainer, module)  # logs that it does not save
            return
        existing = checkpoint_files(self.folder)
        if not existing or existing[-1].stem != f"{CHECKPOINT_PREFIX}{module.steps_done}":
            self.save(trainer, module)

    def _save_if_good(self, trainer: L.Trainer, module: Any) -> None:
        # A checkpoint written right after a skipped (non-finite) step could hold bad weights: the
        # rollback must always find a good one.
        if module.consecutive_bad_steps:
            logger.warning("step %d: no checkpoint saved after a step with non-finite values", module.steps_done)
            return
        self.save(trainer, module)

    def save(self, trainer: L.Trainer, module: Any) -> None:
        final = self.folder / f"{CHECKPOINT_PREFIX}{module.steps_done}.ckpt"
        # Every process calls save_checkpoint (a collective for sharded strategies) with the same
        # temporary name; only rank 0 writes it and then renames it, so the final name is atomic.
        temporary = self.folder / f".{final.name}.partial"
        # Optimizer and loop state included, so a resume continues exactly (said explicitly: Lightning
        # logs a line at every save otherwise).
        try:
            trainer.save_checkpoint(temporary, weights_only=False)
        except OSError as error:
            # A full disk: the partial file goes, the earlier checkpoints stay, and the message says how much is needed.
            needed = _bytes_needed(temporary, checkpoint_files(self.folder))
            temporary.unlink(missing_ok=True)
            raise OutputWriteError(f"{write_failure(final, error, needed)}; the earlier checkpoints are kept (--resume goes on from them)") from error
        # Gathered by every process when the generator is sharded (--strategy fsdp); rank 0 writes it.
        generator_weights = whole_state_dict(module.generator) if self.voice_path is not None else {}
        if trainer.is_global_zero:
            os.replace(temporary, final)
            # The checkpoint just written is never pruned, even if older runs' files sort after it.
            for old in checkpoint_files(self.folder)[: -self.keep]:
                if old != final:
                    old.unlink()
            saved = [final]
            if self.voice_path is not None:
                info = dict(module.metadata.info, steps=str(module.steps_done))
                saved.append(save_voice(self.voice_path, generator_weights, dataclasses.replace(module.metadata, info=info)))
            logger.info("step %d: saved %s", module.steps_done, " and ".join(map(str, saved)))


class StepProgressBar(TQDMProgressBar):
    """Lightning's bar, but counting toward max_steps instead of an (endless) epoch."""

    def on_train_epoch_start(self, trainer: L.Trainer, module: Any) -> None:
        super().on_train_epoch_start(trainer, module)
        self._count_steps(module)

    def _count_steps(self, module: Any) -> None:
        bar = self.train_progress_bar
        bar.reset(total=module.config.training.max_steps)
        # Steps already done (a resumed run) count toward the total but not toward the rate.
        bar.initial = bar.n = module.steps_done
        bar.set_description("training")
        bar.refresh()

    def get_metrics(self, trainer: L.Trainer, module: Any) -> dict[str, Any]:
        # Other callbacks may add short notes (e.g. per-language validation: which language is being forgotten).
        metrics = super().get_metrics(trainer, module)
        for callback in trainer.callbacks:
            metrics.update(getattr(callback, "progress_notes", {}))
        return metrics

    def on_train_batch_end(self, trainer: L.Trainer, module: Any, outputs: Any, batch: Any, batch_index: int) -> None:
        bar = self.train_progress_bar
        if bar.total != module.config.training.max_steps:
            # Lightning re-creates its bar when a run resumes mid-epoch.
            self._count_steps(module)
        bar.n = module.steps_done
        bar.set_postfix(self.get_metrics(trainer, module), refresh=False)
        bar.refresh()
