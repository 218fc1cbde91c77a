"""Import released Piper voices (.onnx) and VITS, Piper and MeloTTS checkpoints as polyvox voices or fine-tuning
starting points.

ONNX graphs are parsed with ``onnx`` and never run; checkpoints are read with ``torch.load(weights_only=True)``
only: neither can run code. The import
rebuilds the source's architecture as a polyvox config (with the options that make polyvox compute what the
source computed), maps every tensor to its polyvox name, remaps vocabulary and speaker rows, and reports the
fate of every tensor. Importing this package is cheap; torch loads with the first import.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from polyvox.pretrained.errors import PretrainedImportError, UnknownLayoutError, UnsafeCheckpointError
from polyvox.pretrained.report import ImportReport

if TYPE_CHECKING:
    from torch import Tensor

    from polyvox.voice_file import VoiceMetadata

__all__ = ["ImportReport", "PretrainedImportError", "UnknownLayoutError", "UnsafeCheckpointError", "import_checkpoint"]


def import_checkpoint(
    path: str | Path,
    config_path: str | Path | None = None,
    phoneme_map: str | Path | None = None,
    language: str | None = None,
) -> tuple[dict[str, Tensor], VoiceMetadata, ImportReport]:
    """Generator tensors (under polyvox names, every one the architecture has), the voice's metadata and the report.

    ``path``: a released Piper voice (``.onnx``, read with ``onnx`` and never run), or a PyTorch checkpoint.
    ``config_path``: VITS's or MeloTTS's ``config.json``, or a Piper voice's ``.onnx.json`` (a Piper ``.ckpt`` carries
    its own hyper-parameters; an ``.onnx`` finds ``VOICE.onnx.json`` beside it when none is given).
    ``phoneme_map``: Piper's ``.onnx.json`` (``phoneme_id_map``), or VITS's ``text/symbols.py`` / a JSON symbol list.
    ``language``: the voice's language code when the files do not tell it.
    Raises ``PretrainedImportError`` (``UnknownLayoutError``, ``UnsafeCheckpointError``) with what to do.
    """
    from polyvox.pretrained.assemble import assemble
    from polyvox.pretrained.file_kinds import file_kind
    from polyvox.pretrained.layout import detect_layout
    from polyvox.pretrained.melotts import plan_melotts
    from polyvox.pretrained.piper import plan_piper
    from polyvox.pretrained.reading import read_checkpoint
    from polyvox.pretrained.vits import plan_vits

    path = Path(path)
    config = Path(config_path) if config_path is not None else None
    phonemes = Path(phoneme_map) if phoneme_map is not None else None
    if path.is_file() and file_kind(path) == "onnx":
        from polyvox.pretrained.piper_onnx import import_piper_onnx

        return import_piper_onnx(path, config or phonemes, language)
    checkpoint = detect_layout(read_checkpoint(path), str(path))
    planners = {"vits": plan_vits, "piper": plan_piper, "melotts": plan_melotts}
    plan = planners[checkpoint.layout](checkpoint, path, config, phonemes, language)
    tensors, report = assemble(plan)
    return tensors, plan.metadata, report
