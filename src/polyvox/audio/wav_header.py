"""Truncated WAV files: libsndfile reads what is there and says nothing, so the header's promise is checked here."""

from __future__ import annotations

import os
import struct
from pathlib import Path

# Data sizes that writers of unknown-length streams put in the header: not a promise.
_UNKNOWN_SIZES = (0, 0xFFFFFFFF)
_CHUNK_HEADER = 8


def missing_wav_bytes(path: str | os.PathLike[str]) -> int:
    """How many bytes of audio the RIFF/WAVE header of ``path`` promises beyond the end of the file
    (0 when complete, not a WAV file, or of unknown length)."""
    path = Path(path)
    size = path.stat().st_size
    with path.open("rb") as stream:
        head = stream.read(12)
        if len(head) < 12 or head[:4] not in (b"RIFF", b"RIFX") or head[8:12] != b"WAVE":
            return 0
        order = "<" if head[:4] == b"RIFF" else ">"
        position = 12
        while position + _CHUNK_HEADER <= size:
            stream.seek(position)
            chunk = stream.read(_CHUNK_HEADER)
            length = struct.unpack(f"{order}I", chunk[4:])[0]
            if chunk[:4] == b"data":
                if length in _UNKNOWN_SIZES:
                    return 0
                return max(0, position + _CHUNK_HEADER + length - size)
            position += _CHUNK_HEADER + length + (length & 1)
    return 0


def truncation_problem(path: str | os.PathLike[str]) -> str | None:
    """One line saying that ``path`` is a truncated WAV file, or None."""
    missing = missing_wav_bytes(path)
    if missing == 0:
        return None
    return f"{path} is truncated: its WAV header promises {missing} more bytes of audio than the file holds; export it again or leave it out"
