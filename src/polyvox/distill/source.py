"""The voice to distil: a polyvox voice file as it is, or a released Piper voice (``.onnx``) imported once
into the work folder; and a digest of it, so a work folder is never resumed for another source."""

from __future__ import annotations

import hashlib
from pathlib import Path

from polyvox.distill.options import DistillError

IMPORTED_SOURCE = "source.safetensors"
_DIGEST_CHUNK = 1 << 20


def source_digest(path: Path) -> str:
    """SHA-256 of the file's bytes (a 60 MB voice reads in a fraction of a second)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_DIGEST_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def resolve_source(source: Path, work: Path) -> Path:
    """A voice file polyvox loads for ``source``: itself, or (for a Piper ``.onnx``) its import in ``work``."""
    if not source.is_file():
        raise DistillError(f"source voice not found: {source}; give a polyvox voice (.safetensors) or a Piper voice (.onnx)")
    from polyvox.pretrained.file_kinds import file_kind

    kind = file_kind(source)
    if kind == "safetensors":
        return source
    if kind != "onnx":
        raise DistillError(
            f"{source} is a {kind} file, not a voice: give a polyvox voice (.safetensors) or a Piper voice (.onnx); "
            "turn a VITS, Piper or MeloTTS checkpoint into a voice first with polyvox import-voice"
        )
    imported = work / IMPORTED_SOURCE
    if imported.is_file():
        return imported
    from polyvox.voice_file import save_voice
    from polyvox.pretrained import import_checkpoint

    tensors, metadata, _report = import_checkpoint(source)
    work.mkdir(parents=True, exist_ok=True)
    return save_voice(imported, tensors, metadata)
