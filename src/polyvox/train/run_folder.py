"""A training run folder's guards: one process at a time, a run never replaced unless asked, the
leftovers of an interrupted write removed, and the newest checkpoint that can be read."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from polyvox.checkpoint_reading import load_checkpoint
from polyvox.errors import CheckpointReadError, TrainingSetupError
from polyvox.train.callbacks import checkpoint_files
from polyvox.train.run_config import DIFFERENCES_FILE, RUN_FILE

logger = logging.getLogger(__name__)

LOCK_FILE = ".polyvox.lock"
CHECKPOINT_FOLDER = "checkpoints"
VOICE_FILE = "voice.safetensors"
UNREADABLE_SUFFIX = ".unreadable"
# What a run writes besides its feature cache (which depends only on the audio and is kept).
RUN_OUTPUTS = (RUN_FILE, DIFFERENCES_FILE, VOICE_FILE, "data_report.json", "logs", CHECKPOINT_FOLDER)


@dataclass(frozen=True)
class ResumePoint:
    path: Path
    steps_done: int
    state: dict[str, Any]  # the checkpoint's "polyvox" entry


def held_run(run_dir: Path) -> str | None:
    """What trained state ``run_dir`` holds (a voice, checkpoints), or None when nothing would be lost."""
    checkpoints = checkpoint_files(run_dir / CHECKPOINT_FOLDER)
    parts = []
    if checkpoints:
        parts.append(f"{len(checkpoints)} checkpoint(s), newest {checkpoints[-1].name}")
    if (run_dir / VOICE_FILE).is_file():
        parts.append(VOICE_FILE)
    return ", ".join(parts) or None


def check_start(run_dir: Path, resume: bool, overwrite: bool) -> None:
    """Refuse to train from scratch over a run unless ``overwrite``; with it, remove the old run's outputs."""
    if resume and overwrite:
        raise TrainingSetupError("give --resume (continue the run) or --overwrite (replace it), not both")
    held = None if resume else held_run(run_dir)
    if held is None:
        return
    if not overwrite:
        raise TrainingSetupError(
            f"{run_dir} already holds a run ({held}); add --resume to continue it, --overwrite to replace it, "
            "or choose another -o folder"
        )
    for name in RUN_OUTPUTS:
        path = run_dir / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    logger.warning("--overwrite: removed the run that was in %s (%s)", run_dir, held)


def remove_partial_files(run_dir: Path) -> list[Path]:
    """Delete the temporary ``.*.partial`` files an interrupted write (kill, power loss, full disk) left behind."""
    stale = [path for folder in (run_dir, run_dir / CHECKPOINT_FOLDER) for path in folder.glob(".*.partial") if path.is_file()]
    for path in stale:
        path.unlink(missing_ok=True)
    if stale:
        logger.info("removed %d unfinished file(s) of an interrupted write: %s", len(stale), ", ".join(p.name for p in stale))
    return stale


def newest_resume_point(folder: Path) -> ResumePoint | None:
    """The newest checkpoint in ``folder`` that can be read; newer ones that cannot (empty, truncated) are
    skipped with a warning. A pickle of arbitrary objects stops with ``UnsafeCheckpointError``."""
    for path in reversed(checkpoint_files(folder)):
        try:
            checkpoint = load_checkpoint(path)  # UnsafeCheckpointError is not caught: a planted pickle stops the run
        except CheckpointReadError as error:
            _set_aside(path, str(error))
            continue
        state = checkpoint.get("polyvox") if isinstance(checkpoint, dict) else None
        if not isinstance(state, dict) or not isinstance(state.get("steps_done"), int):
            _set_aside(path, f"{path} is not a polyvox training checkpoint (no 'polyvox' state with its step)")
            continue
        return ResumePoint(path, state["steps_done"], state)
    return None


def completed_run(folder: Path, max_steps: int) -> ResumePoint | None:
    """The run's newest checkpoint when it has already reached ``max_steps`` (0: no limit, never complete)."""
    point = newest_resume_point(folder)
    return point if point is not None and max_steps and point.steps_done >= max_steps else None


def _set_aside(path: Path, problem: str) -> None:
    # Renamed, not deleted: nothing is lost, and it no longer sorts as the newest checkpoint.
    aside = path.with_name(path.name + UNREADABLE_SUFFIX)
    os.replace(path, aside)
    logger.warning("%s; renamed to %s and resuming from the newest older checkpoint that loads", problem, aside.name)


@contextlib.contextmanager
def run_folder_lock(run_dir: Path) -> Iterator[None]:
    """Hold ``run_dir`` for this process: a second process is refused with the holder's pid. The lock
    is the operating system's (``flock``), so a killed process never leaves it held."""
    try:
        import fcntl
    except ImportError:  # Windows: no flock; the run folder is not locked there.
        yield
        return
    run_dir.mkdir(parents=True, exist_ok=True)
    lock_path = run_dir / LOCK_FILE
    descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(descriptor, 32).decode(errors="replace").strip() or "unknown"
            raise TrainingSetupError(
                f"{run_dir} is in use by another polyvox process (pid {holder}); wait for it to end or stop it, then run again"
            ) from None
        os.ftruncate(descriptor, 0)
        os.write(descriptor, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(descriptor)


@contextlib.contextmanager
def open_run_folder(run_dir: Path, resume: bool, overwrite: bool) -> Iterator[None]:
    """Lock ``run_dir``, check that starting here loses nothing, and clear the leftovers of an interrupted write."""
    with run_folder_lock(run_dir):
        check_start(run_dir, resume, overwrite)
        remove_partial_files(run_dir)
        yield
