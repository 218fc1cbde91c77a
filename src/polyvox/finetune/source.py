"""What ``polyvox finetune --from`` accepts: a voice file, a polyvox training checkpoint, or an imported checkpoint.

- a voice (``.safetensors`` with polyvox metadata): generator weights and tables; no discriminator.
- a polyvox training checkpoint (``.ckpt``): generator and discriminator weights and the run's tables,
  read with ``torch.load(weights_only=True)`` (nothing is unpickled beyond plain tensors and containers).
- any other file: handed to ``polyvox.pretrained.import_checkpoint`` (VITS, Piper, MeloTTS) when that
  importer is installed; its own report becomes notes of the load report.
"""

from __future__ import annotations

import dataclasses
import logging
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import torch
from torch import Tensor

from polyvox.voice_file import FORMAT_NAME, VoiceMetadata, load_voice_file
from polyvox.finetune.errors import FinetuneSetupError

logger = logging.getLogger(__name__)

SourceKind = Literal["voice", "checkpoint", "imported"]
_GENERATOR_PREFIX = "generator."
_DISCRIMINATOR_PREFIX = "discriminator."
_LAYOUTS = (
    "a polyvox voice (.safetensors with polyvox metadata), a polyvox training checkpoint (RUN/checkpoints/step-N.ckpt) "
    "or a checkpoint polyvox can import (VITS, Piper, MeloTTS; through polyvox.pretrained)"
)


@dataclass(frozen=True)
class FinetuneSource:
    path: Path
    kind: SourceKind
    generator: dict[str, Tensor]
    metadata: VoiceMetadata
    discriminator: dict[str, Tensor] | None = None
    notes: list[str] = field(default_factory=list)


def load_source(
    path: str | Path, config_path: Path | None = None, phoneme_map: Path | None = None, language: str | None = None
) -> FinetuneSource:
    """Weights and tables of ``path``; a file of none of the known layouts is a ``FinetuneSetupError``.
    ``config_path``, ``phoneme_map`` and ``language`` are handed to the importer of foreign checkpoints."""
    path = Path(path)
    if not path.is_file():
        raise FinetuneSetupError(f"--from {path}: file not found")
    if path.suffix == ".safetensors":
        if not _has_voice_metadata(path):
            raise FinetuneSetupError(f"--from {path}: a .safetensors file without polyvox metadata; it must be {_LAYOUTS}")
        tensors, metadata = load_voice_file(path)
        return FinetuneSource(path, "voice", tensors, metadata)
    if path.suffix == ".ckpt":
        checkpoint = _polyvox_checkpoint(path)
        if checkpoint is not None:
            return checkpoint
    return _imported(path, config_path, phoneme_map, language)


def with_discriminator(source: FinetuneSource, path: Path) -> FinetuneSource:
    """``source`` with the discriminator of the training checkpoint ``path`` (``--discriminator-from``): it judges
    waveforms, whichever decoder made them, so a run whose decoder is new to the voice (a grafted one) starts against a
    trained judge instead of a random one."""
    checkpoint = read_training_checkpoint(path)
    if checkpoint is None or not checkpoint.discriminator:
        raise FinetuneSetupError(
            f"--discriminator-from {path}: not a polyvox training checkpoint with a discriminator; give a run's "
            "RUN/checkpoints/step-N.ckpt"
        )
    wanted, found = source.metadata.config.model.discriminator, checkpoint.metadata.config.model.discriminator
    if wanted != found:
        raise FinetuneSetupError(
            f"--discriminator-from {path}: its discriminator ({found}) is not the voice's model.discriminator ({wanted})"
        )
    note = f"discriminator from {path.name} (step {checkpoint.steps})"
    return dataclasses.replace(source, discriminator=checkpoint.discriminator, notes=[*source.notes, note])


def _has_voice_metadata(path: Path) -> bool:
    """False only for a readable safetensors file that is not a polyvox voice (unreadable ones are
    reported by ``load_voice_file`` with their own reason)."""
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="pt") as handle:
            return (handle.metadata() or {}).get("format") == FORMAT_NAME
    except (SafetensorError, OSError, ValueError):
        return True


@dataclass(frozen=True)
class TrainingCheckpoint:
    generator: dict[str, Tensor]
    discriminator: dict[str, Tensor]
    metadata: VoiceMetadata
    steps: int


def read_training_checkpoint(path: Path) -> TrainingCheckpoint | None:
    """A polyvox training checkpoint's weights (float32) and tables; None when ``path`` is not one."""
    from polyvox.pretrained.file_kinds import file_kind

    # Only a PyTorch archive can be one; anything else (text, a pickle, ...) is left to the importer, which names
    # what the file is, instead of reaching torch.load's unpickler and whatever it raises on junk.
    if not path.is_file() or file_kind(path) != "pytorch":
        return None
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except (pickle.UnpicklingError, RuntimeError, EOFError, OSError) as error:
        logger.debug("%s is not a weights-only polyvox checkpoint: %s", path, error)
        return None
    if not isinstance(checkpoint, dict) or "polyvox" not in checkpoint or "state_dict" not in checkpoint:
        return None
    metadata = VoiceMetadata.from_strings(checkpoint["polyvox"]["metadata"], str(path))
    state = checkpoint["state_dict"]
    generator = {name[len(_GENERATOR_PREFIX) :]: t.float() for name, t in state.items() if name.startswith(_GENERATOR_PREFIX)}
    discriminator = {name[len(_DISCRIMINATOR_PREFIX) :]: t.float() for name, t in state.items() if name.startswith(_DISCRIMINATOR_PREFIX)}
    return TrainingCheckpoint(generator, discriminator, metadata, int(checkpoint["polyvox"].get("steps_done", 0)))


def _polyvox_checkpoint(path: Path) -> FinetuneSource | None:
    checkpoint = read_training_checkpoint(path)
    if checkpoint is None:
        return None
    return FinetuneSource(
        path, "checkpoint", checkpoint.generator, checkpoint.metadata, checkpoint.discriminator or None,
        notes=[f"training checkpoint at step {checkpoint.steps}: generator and discriminator weights"],
    )


def _imported(path: Path, config_path: Path | None, phoneme_map: Path | None, language: str | None) -> FinetuneSource:
    try:
        from polyvox.pretrained import import_checkpoint
        from polyvox.pretrained.errors import PretrainedImportError
    except ImportError as error:
        raise FinetuneSetupError(
            f"--from {path}: not a layout this installation can read ({error}); it must be {_LAYOUTS}"
        ) from error
    try:
        tensors, metadata, report = import_checkpoint(path, config_path=config_path, phoneme_map=phoneme_map, language=language)
    except PretrainedImportError as error:
        raise FinetuneSetupError(f"--from {path}: not a polyvox voice or training checkpoint, and it cannot be imported: {error}") from error
    # The importer's own report (every tensor: how it was mapped, or why not) travels with the load report.
    notes = [f"imported from {path.name}: {report.summary()}", *(f"import: {line}" for line in report.all_lines())]
    return FinetuneSource(path, "imported", dict(tensors), metadata, notes=notes)
