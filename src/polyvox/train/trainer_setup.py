"""The Lightning Trainer, data loaders and resume point of a run, shared by ``polyvox train`` and ``polyvox finetune``."""

from __future__ import annotations

import logging
import signal
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch.utils.data import DataLoader, Sampler

from polyvox.config import TrainingConfig
from polyvox.data.dataset import EncodedUtterance, TtsDataset, collate
from polyvox.data.features_cache import FeatureCache
from polyvox.data.sampler import build_batch_sampler
from polyvox.train.callbacks import StepCheckpoint, StepProgressBar
from polyvox.train.interrupt import StopAtStepEnd

if TYPE_CHECKING:
    import lightning as L

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainingLoop:
    trainer: L.Trainer
    sampler: Sampler[list[int]]  # endless: resuming moves it past the batches already trained on
    train_loader: DataLoader[Any]
    validation_loader: DataLoader[Any] | None  # None: no clips held out
    checkpoint_dir: Path
    interrupt: StopAtStepEnd = field(default_factory=StopAtStepEnd)  # a loop built elsewhere has none installed


def training_precision(precision: str, on_cpu: bool) -> str:
    """Lightning's precision for ``training.precision``: "auto" is bf16-mixed on a CPU with native bfloat16."""
    from polyvox.inference.speed import native_bfloat16

    if precision != "auto":
        return precision
    return "bf16-mixed" if on_cpu and native_bfloat16() else "32"


def thread_tuning(on_cpu: bool) -> list[L.Callback]:
    """Measure polyvox's default thread count against one thread on the run's steps (train/thread_tuning.py),
    only where polyvox chose the count: ``--threads`` and ``OMP_NUM_THREADS`` are kept as given."""
    from polyvox.threads import FREE_CORES, applied_plan
    from polyvox.train.thread_tuning import ThreadTuning

    plan = applied_plan()
    if not on_cpu or plan is None or plan.source != FREE_CORES or plan.threads == 1:
        return []
    return [ThreadTuning(plan.threads)]


def build_training_loop(
    run_dir: Path,
    training: TrainingConfig,
    train_items: list[EncodedUtterance],
    validation_items: list[EncodedUtterance],
    cache: FeatureCache,
    validation_callbacks: Sequence[L.Callback],
    validate_every_steps: int,
    progress: bool,
    accelerator: str,
    devices: int | str,
    voice_path: Path | None,
    nodes: int = 1,
    strategy: str = "auto",
) -> TrainingLoop:
    """A Trainer that runs until stopped, checkpointing into ``run_dir`` (and the voice into ``voice_path``
    with each checkpoint, unless None), and its data loaders.

    ``validation_callbacks`` come first, in the order given, then checkpointing, the non-finite guard and the
    progress bar; validation runs every ``validate_every_steps`` when clips were held out, else never.
    """
    import lightning as L
    from lightning.pytorch.loggers import TensorBoardLogger

    from polyvox.inference.speed import native_bfloat16
    from polyvox.train.guards import NonFiniteRollback

    on_cpu = accelerator == "cpu" or (accelerator == "auto" and not torch.cuda.is_available())
    precision = training_precision(training.precision, on_cpu)
    if training.precision == "auto":
        if not on_cpu:
            where = "float32 on accelerators"
        else:
            where = "this CPU has native bfloat16" if precision == "bf16-mixed" else "this CPU has no native bfloat16"
        logger.info("training.precision auto: %s (%s; --set training.precision=32 or bf16-mixed to choose)", precision, where)
    if precision == "bf16-mixed" and on_cpu and not native_bfloat16():
        logger.warning(
            "training.precision is bf16-mixed but this CPU has no native bfloat16 instructions: it is emulated "
            "and slower than float32; use --set training.precision=32"
        )
    checkpoint_dir = run_dir / "checkpoints"
    has_validation = bool(validation_items)
    interrupt = StopAtStepEnd()
    trainer = L.Trainer(
        accelerator=accelerator,
        devices=devices,
        num_nodes=nodes,
        strategy=training_strategy(devices, nodes, strategy),
        max_epochs=-1,
        max_steps=-1,
        precision=precision,
        logger=TensorBoardLogger(str(run_dir), name="logs", version=""),
        callbacks=[
            interrupt,
            *validation_callbacks,
            StepCheckpoint(checkpoint_dir, voice_path, training.checkpoint_every_steps, training.keep_checkpoints),
            NonFiniteRollback(checkpoint_dir, training.max_consecutive_bad_steps, training.rollback_lr_factor),
            *thread_tuning(on_cpu),
            *([StepProgressBar()] if progress else []),
        ],
        enable_progress_bar=progress,
        enable_checkpointing=False,
        val_check_interval=validate_every_steps if has_validation else None,
        check_val_every_n_epoch=None,
        limit_val_batches=1 if has_validation else 0,
        num_sanity_val_steps=0,
        log_every_n_steps=training.log_every_steps,
        # polyvox shards its own batches across processes (see BucketBatchSampler).
        use_distributed_sampler=False,
        enable_model_summary=False,
    )
    train_dataset = TtsDataset(train_items, cache)
    sampler = build_batch_sampler(
        training,
        train_dataset.durations_s(),
        [item.utterance.language for item in train_items],
        rank=trainer.global_rank,
        world_size=trainer.world_size,
    )
    train_loader = DataLoader(train_dataset, batch_sampler=sampler, collate_fn=collate, num_workers=training.num_workers)
    validation_loader = (
        DataLoader(TtsDataset(validation_items, cache), batch_size=len(validation_items), collate_fn=collate)
        if has_validation
        else None
    )
    return TrainingLoop(trainer, sampler, train_loader, validation_loader, checkpoint_dir, interrupt)


STRATEGIES = ("auto", "ddp", "fsdp")


def training_strategy(devices: int | str, nodes: int = 1, strategy: str = "auto") -> Any:
    """Lightning's choice for one process; for several (or ``strategy`` "ddp"), DDP that tolerates parameters
    a step does not use (the generator's and the discriminator's updates each leave the other's parameters,
    and a batch without references leaves the reference encoder's, without gradients); "fsdp" shards the
    parameters, gradients and optimizer states over the processes (train/sharding.py)."""
    from polyvox.errors import TrainingSetupError

    if strategy not in STRATEGIES:
        raise TrainingSetupError(f"unknown --strategy {strategy!r}: use one of {', '.join(STRATEGIES)}")
    if nodes < 1:
        raise TrainingSetupError(f"--nodes must be at least 1, got {nodes}")
    from polyvox.train.ranks import require_slurm_tasks_match

    require_slurm_tasks_match(devices, nodes)
    if strategy == "fsdp":
        from polyvox.train.sharding import ShardedDataParallel

        return ShardedDataParallel()
    several = nodes > 1 or (str(devices).isdigit() and int(devices) > 1)
    if strategy == "ddp" or several:
        from lightning.pytorch.strategies import DDPStrategy

        return DDPStrategy(find_unused_parameters=True)
    return "auto"


def resume_point(loop: TrainingLoop) -> Path | None:
    """The newest readable checkpoint of the run, with the sampler set to go on after it; None when there is none yet."""
    from polyvox.train.run_folder import newest_resume_point

    point = newest_resume_point(loop.checkpoint_dir)
    if point is None:
        logger.info("no checkpoint in %s yet: starting from scratch", loop.checkpoint_dir)
        return None
    # The endless sampler restarts exactly after the last batch any process of the checkpoint's run took.
    from polyvox.data.rank_share import stream_position

    loop.sampler.load_state_dict({"batches_done": 0, "start": stream_position(point.state, loop.trainer.world_size)})
    logger.info("resuming from %s (step %d)", point.path, point.steps_done)
    return point.path


def fit(loop: TrainingLoop, module: L.LightningModule, resume_from: Path | None) -> None:
    """Train until the schedule ends. Ctrl-C comes out as ``KeyboardInterrupt``: the first after the step
    it came in, with a checkpoint saved there (train/interrupt.py); a second at once (Lightning stops the
    run and then exits with status 1, which would read as a failure, not an interruption)."""
    sigint_handler = signal.getsignal(signal.SIGINT)
    try:
        loop.trainer.fit(module, train_dataloaders=loop.train_loader, val_dataloaders=loop.validation_loader, ckpt_path=resume_from)
    except SystemExit as stop:
        if not isinstance(stop.__context__, KeyboardInterrupt):
            raise
        if sigint_handler is not None:  # Lightning ignores Ctrl-C while it stops the run; a caller that goes on gets it back
            signal.signal(signal.SIGINT, sigint_handler)
        raise KeyboardInterrupt from None
    if loop.interrupt.stopped_at is not None:
        raise KeyboardInterrupt  # stopped after a whole step, its checkpoint saved: still an interruption
