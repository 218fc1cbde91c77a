"""Atomic file writing: the one place polyvox puts a finished file under its final name."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


def _default_mode() -> int:
    # mkstemp creates 0600 files; give the result the permissions a plain open() would.
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path in the target's folder; on success it replaces ``path``, on any
    failure it is removed, so a crash never leaves a half-written file under the final name.

    Creating the folder or the temporary file raises ``OSError`` before the body runs.
    """
    final_path = Path(path)
    folder = final_path.parent
    folder.mkdir(parents=True, exist_ok=True)
    handle, temp_name = tempfile.mkstemp(prefix=f".{final_path.name}.", suffix=".partial", dir=folder)
    os.close(handle)
    temporary = Path(temp_name)
    try:
        yield temporary
        os.chmod(temporary, _default_mode())
        os.replace(temporary, final_path)
    finally:
        temporary.unlink(missing_ok=True)


def write_failure(path: str | os.PathLike[str], error: OSError, needed_bytes: int = 0) -> str:
    """One line for a failed write: the path and the cause; for a full disk, the space free and needed."""
    path = Path(path)
    if error.errno != errno.ENOSPC:
        return f"cannot write {path}: {error.strerror or error}"
    folder = path.parent
    try:
        free = f"{_megabytes(shutil.disk_usage(folder).free)} free"
    except OSError:
        free = "free space unknown"
    needed = f", about {_megabytes(needed_bytes)} needed" if needed_bytes else ""
    return f"cannot write {path}: no space left on the device ({free} in {folder}{needed}); free some space and run again"


def _megabytes(count: int) -> str:
    return f"{count / 1e6:.1f} MB" if count >= 1e5 else f"{max(1, round(count / 1e3))} kB"
