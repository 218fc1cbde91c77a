"""Reading training checkpoints (``.ckpt``) without running code from them: ``torch.load(weights_only=True)``
only, with one-line errors that tell an unreadable file from a refused one."""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

from polyvox.errors import CheckpointReadError, UnsafeCheckpointError

# torch's message when the weights-only unpickler meets a global it does not allow.
_REFUSED_MARKER = "Weights only load failed"


def load_checkpoint(path: str | Path) -> Any:
    """The checkpoint's contents. ``UnsafeCheckpointError`` for a pickle of arbitrary objects,
    ``CheckpointReadError`` for a missing, empty or truncated file."""
    import torch

    path = Path(path)
    if not path.is_file():
        raise CheckpointReadError(f"checkpoint not found: {path}")
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        if _REFUSED_MARKER in str(error):
            raise UnsafeCheckpointError(
                f"{path} holds objects other than tensors and plain containers, which could run code when unpickled; "
                "polyvox reads checkpoints with torch.load(weights_only=True) and refuses it. "
                "If you did not write this file, delete it or move it away"
            ) from error
        raise CheckpointReadError(f"{path} is not a readable training checkpoint ({_first_line(error)}); the file may be truncated") from error
    except (RuntimeError, EOFError, OSError, ValueError) as error:
        raise CheckpointReadError(f"{path} is not a readable training checkpoint ({_first_line(error)}); the file may be truncated") from error


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0].split(". ")[0] if text else f"{type(error).__name__}: the file is empty or ends early"
