"""What a file is, from its first bytes: so an error can name it, and the pickle warning goes to pickles only."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path
from typing import Literal

FileKind = Literal["onnx", "pytorch", "pickle", "safetensors", "zip", "json", "text", "empty", "unknown"]

ACCEPTED = (
    "polyvox import-voice takes a released Piper voice (VOICE.onnx with its VOICE.onnx.json), a Piper training "
    "checkpoint (.ckpt), a VITS generator (G_*.pth), a MeloTTS checkpoint.pth or a polyvox run's "
    "RUN/checkpoints/step-N.ckpt"
)
_HEAD_BYTES = 4096
_PICKLE_PROTOCOL = 0x80  # a pickle of protocol 2 or later starts with PROTO
# An ONNX ModelProto starts with ir_version (field 1, a varint), then producer_name (2), ... or graph (7).
_ONNX_SECOND_FIELDS = (0x12, 0x1A, 0x22, 0x2A, 0x32, 0x3A, 0x42)
_ZIP_MAGIC = b"PK\x03\x04"


def _zip_names(path: Path) -> list[str] | None:
    """The archive's member names; None when its directory cannot be read (a truncated file)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return None


def _is_safetensors(head: bytes, size: int) -> bool:
    if len(head) < 9:
        return False
    (header_length,) = struct.unpack("<Q", head[:8])
    return 8 + header_length <= size and head[8:9] == b"{"


def _is_onnx(head: bytes) -> bool:
    return len(head) >= 3 and head[0] == 0x08 and head[1] < 0x80 and head[2] in _ONNX_SECOND_FIELDS


def _text_kind(head: bytes) -> FileKind | None:
    if b"\x00" in head:
        return None
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 4:  # not just a character cut at the end of the head
            return None
        text = head[: error.start].decode("utf-8")
    return "json" if text.lstrip().startswith(("{", "[")) else "text"


def file_kind(path: Path) -> FileKind:
    """The kind of ``path`` (which must exist) by its content; the ``.onnx`` suffix decides only for unknown content."""
    size = path.stat().st_size
    if size == 0:
        return "empty"
    with path.open("rb") as stream:
        head = stream.read(_HEAD_BYTES)
    if head.startswith(_ZIP_MAGIC):
        names = _zip_names(path)
        # An unreadable archive is most likely a PyTorch checkpoint cut short: torch.load says so.
        return "pytorch" if names is None or any(name.endswith("data.pkl") for name in names) else "zip"
    if head[0] == _PICKLE_PROTOCOL and len(head) > 1 and 2 <= head[1] <= 5:
        return "pickle"
    if _is_safetensors(head, size):
        return "safetensors"
    if _is_onnx(head):
        return "onnx"
    text = _text_kind(head)
    if text is not None:
        return text
    return "onnx" if path.suffix == ".onnx" else "unknown"


def describe(path: Path, kind: FileKind) -> str:
    """'an ONNX graph', 'a zip archive (holding a.onnx, ...)', ... for error messages."""
    if kind == "zip":
        names = _zip_names(path) or []
        shown = ", ".join(names[:4]) + (", ..." if len(names) > 4 else "")
        return f"a zip archive (holding {shown or 'nothing readable'})"
    return {
        "onnx": "an ONNX graph", "pytorch": "a PyTorch checkpoint", "pickle": "a Python pickle", "safetensors": "a safetensors file",
        "json": "a JSON file", "text": "a text file", "empty": "an empty file", "unknown": "a binary file of no format polyvox knows",
    }[kind]


def not_importable(path: Path, kind: FileKind) -> str:
    """The one-line error for a file import-voice cannot read: what it is, what to do, what is accepted."""
    hints = {
        "safetensors": f"a polyvox voice is used as it is (polyvox say --voice {path}); ",
        "zip": "unpack it and import the voice inside; ",
        "json": "a voice's .onnx.json goes with --config; import the .onnx beside it; ",
        "text": "",
        "empty": "the download or copy may have failed; ",
    }
    hint = hints["safetensors"] if path.suffix == ".safetensors" else hints.get(kind, "")
    return f"{path} is {describe(path, kind)}: {hint}{ACCEPTED}"


def not_a_voice(path: Path, kind: FileKind) -> str:
    """The one-line error for a --voice that is no polyvox voice file: what it is and how to get a voice from it."""
    hints = {
        "pytorch": f"a training checkpoint becomes a voice with polyvox import-voice {path} -o voice.safetensors "
        "(polyvox train also keeps its newest voice as RUN/voice.safetensors)",
        "onnx": f"a polyvox export is spoken with --engine onnx; a released Piper voice is imported first: "
        f"polyvox import-voice {path} -o voice.safetensors",
        "pickle": f"a checkpoint becomes a voice with polyvox import-voice {path} -o voice.safetensors",
        "zip": "unpack it and use the voice inside",
        "empty": "the download or copy may have failed",
    }
    hint = hints.get(kind, "polyvox voices are .safetensors files written by polyvox train, finetune or import-voice")
    return f"{path} is {describe(path, kind)}, not a polyvox voice file: {hint}"
