"""``polyvox finetune``: a trained voice + a little data -> a new voice (a new speaker, or a new language).

Two stages, so the load report can be shown before any feature is computed: :func:`plan_finetune`
(``finetune/plan.py``) and :func:`run_finetune`, which prepares the features and trains, writing the
best validation step as the output voice.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path

import torch
from torch.utils.data import DataLoader

from polyvox.checkpoint import save_voice
from polyvox.data.dataset import TtsDataset, collate
from polyvox.data.sampler import build_batch_sampler
from polyvox.fingerprint import component_fingerprint
from polyvox.finetune.errors import FinetuneSetupError
from polyvox.finetune.plan import FinetuneOptions, FinetunePlan, plan_finetune
from polyvox.train.callbacks import checkpoint_files
from polyvox.train.run import prepare_data

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FinetuneResult:
    voice_path: Path
    steps: int
    best_step: int | None  # None: nothing held out for validation, the last step was written
    best_validation_mel_loss: float
    run_dir: Path


def run_finetune(plan: FinetunePlan, progress: bool = True, accelerator: str = "cpu", devices: int | str = 1) -> FinetuneResult:
    """Prepare the features and train; the output voice is the step with the lowest validation loss."""
    import lightning as L
    from lightning.pytorch.loggers import TensorBoardLogger

    from polyvox.finetune.best import BestVoice
    from polyvox.train.callbacks import StepCheckpoint, StepProgressBar
    from polyvox.train.guards import NonFiniteRollback
    from polyvox.train.run import language_validation_callbacks

    run_dir, options, module = plan.run_dir, plan.options, plan.module
    training = plan.metadata.config.training
    L.seed_everything(training.seed, workers=True, verbose=False)
    data = prepare_data(
        plan.data.manifest, run_dir, plan.metadata.config, options.resume, plan.metadata, progress, options.validation_per_language
    )
    if component_fingerprint(data.metadata) != component_fingerprint(plan.metadata):
        raise FinetuneSetupError(
            f"the run in {run_dir} was started with other tables or another architecture; resume with the same "
            "--from, --data, --replay, --add-language and --set model.* options, or start a new --run-dir"
        )
    best = BestVoice(plan.output)
    validation = language_validation_callbacks(plan.metadata, data.validation_items, data.cache, listeners=[best])
    if not validation:
        logger.warning(
            "no clips held out for validation (a language needs more than %d clips): the output is the last step, "
            "not the best one", 2 * options.validation_per_language,
        )
    checkpoint_dir = run_dir / "checkpoints"
    trainer = L.Trainer(
        accelerator=accelerator,
        devices=devices,
        max_epochs=-1,
        max_steps=-1,
        logger=TensorBoardLogger(str(run_dir), name="logs", version=""),
        callbacks=[
            *validation,
            best,
            StepCheckpoint(checkpoint_dir, run_dir / "voice.safetensors", training.checkpoint_every_steps, training.keep_checkpoints),
            NonFiniteRollback(checkpoint_dir, training.max_consecutive_bad_steps, training.rollback_lr_factor),
            *([StepProgressBar()] if progress else []),
        ],
        enable_progress_bar=progress,
        enable_checkpointing=False,
        val_check_interval=training.audio_samples_every_steps if data.validation_items else None,
        check_val_every_n_epoch=None,
        limit_val_batches=1 if data.validation_items else 0,
        num_sanity_val_steps=0,
        log_every_n_steps=training.log_every_steps,
        use_distributed_sampler=False,
        enable_model_summary=False,
    )
    train_dataset = TtsDataset(data.train_items, data.cache)
    sampler = build_batch_sampler(
        training, train_dataset.durations_s(), [item.utterance.language for item in data.train_items],
        rank=trainer.global_rank, world_size=trainer.world_size,
    )
    train_loader = DataLoader(train_dataset, batch_sampler=sampler, collate_fn=collate, num_workers=training.num_workers)
    validation_loader = (
        DataLoader(TtsDataset(data.validation_items, data.cache), batch_size=len(data.validation_items), collate_fn=collate)
        if data.validation_items
        else None
    )
    resume_from = None
    if options.resume:
        existing = checkpoint_files(checkpoint_dir)
        if existing:
            resume_from = existing[-1]
            state = torch.load(resume_from, map_location="cpu", weights_only=True)["polyvox"]
            sampler.load_state_dict({"batches_done": int(state["steps_done"])})
            logger.info("resuming from %s (step %d)", resume_from, state["steps_done"])
    trainer.fit(module, train_dataloaders=train_loader, val_dataloaders=validation_loader, ckpt_path=resume_from)
    if best.best_step is None and trainer.is_global_zero:
        info = dict(plan.metadata.info, steps=str(module.steps_done))
        save_voice(plan.output, module.generator.state_dict(), dataclasses.replace(plan.metadata, info=info))
    return FinetuneResult(plan.output, module.steps_done, best.best_step, best.best_score, run_dir)


def finetune(source: str | Path, data: str | Path, output: str | Path, run_dir: str | Path, options: FinetuneOptions = FinetuneOptions(), progress: bool = True) -> FinetuneResult:
    """Plan and run in one call (the Python entry point; the CLI prints the plan in between)."""
    return run_finetune(plan_finetune(source, data, output, run_dir, options), progress=progress)
