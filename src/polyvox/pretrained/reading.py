"""Reading other projects' files: checkpoints only through ``torch.load(weights_only=True)``, configs as JSON."""

from __future__ import annotations

import json
import pathlib
import pickle
import re
from pathlib import Path
from typing import Any

import torch

from polyvox.pretrained.errors import PretrainedImportError, UnsafeCheckpointError
from polyvox.pretrained.file_kinds import file_kind, not_importable

# Lightning checkpoints of Piper store dataset paths among their hyper-parameters; a path is plain data
# (building one runs no code of the file's choosing), so these classes are allowed besides tensors and containers.
SAFE_PATH_CLASSES: tuple[type, ...] = (pathlib.PosixPath, pathlib.PurePosixPath, pathlib.PureWindowsPath)
_REFUSED_GLOBAL = re.compile(r"Unsupported global: GLOBAL ([\w.]+)")
_BAD_OPCODE = "Unsupported operand"


def _first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def read_checkpoint(path: Path) -> dict[str, Any]:
    """The top-level mapping of a PyTorch checkpoint, loaded without running any code from the file."""
    if not path.is_file():
        raise PretrainedImportError(f"checkpoint not found: {path}")
    kind = file_kind(path)
    if kind not in ("pytorch", "pickle"):
        raise PretrainedImportError(not_importable(path, kind))
    try:
        with torch.serialization.safe_globals(list(SAFE_PATH_CLASSES)):
            data = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as error:
        found = _REFUSED_GLOBAL.search(str(error))
        if found is None and _BAD_OPCODE in str(error):
            # A damaged pickle, not a dangerous one: no object was refused.
            raise PretrainedImportError(f"{path} is a pickle polyvox cannot read ({_first_line(error)}); the file may be damaged") from error
        what = f"an object of {found.group(1)}" if found else "an object other than tensors and plain containers"
        raise UnsafeCheckpointError(
            f"{path} holds {what}, which could run code when unpickled; polyvox reads checkpoints with "
            "torch.load(weights_only=True) and refuses it. If you trust the file, load it in its own project and "
            "save the weights alone (torch.save({'model': model.state_dict()}, 'weights.pth')), then import that"
        ) from error
    except (RuntimeError, EOFError, OSError, ValueError, NotImplementedError) as error:
        raise PretrainedImportError(f"{path} is not a readable PyTorch checkpoint ({error}); the file may be truncated") from error
    if not isinstance(data, dict):
        raise PretrainedImportError(
            f"{path} holds a {type(data).__name__}, not a mapping of named tensors; a VITS, Piper or MeloTTS checkpoint is a dict"
        )
    return data


def read_json(path: Path, what: str) -> dict[str, Any]:
    """A JSON object from ``path``; ``what`` names the file in errors (e.g. "VITS config")."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise PretrainedImportError(f"{what} not found: {path}") from error
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PretrainedImportError(f"{what} {path} is not readable JSON ({error})") from error
    if not isinstance(data, dict):
        raise PretrainedImportError(f"{what} {path} must hold a JSON object, got {type(data).__name__}")
    return data
