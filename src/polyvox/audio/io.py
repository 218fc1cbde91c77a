"""Reading, resampling and atomically writing audio files.

``load_audio`` always returns mono float32 samples at the requested rate; ``save_audio`` never
leaves a partial file under the final name (it writes a temporary file beside it and renames).
"""

from __future__ import annotations

import errno
import logging
import os
import shutil
from pathlib import Path

import numpy as np

from polyvox.audio.wav_header import truncation_problem
from polyvox.errors import PolyvoxError
from polyvox.files import atomic_path, write_failure

logger = logging.getLogger(__name__)


# The formats worth offering when a file name asks for one that cannot hold the samples (e.g. .mp3).
WRITTEN_FORMATS = ("WAV", "FLAC", "AIFF")
# soxr's quality preset for every resampling (whole signals and streamed blocks give the same samples).
RESAMPLE_QUALITY = "HQ"


class AudioError(PolyvoxError, ValueError):
    """An audio file cannot be read or written; the message names the file and what to do."""


def load_audio(path: str | os.PathLike[str], sample_rate: int, max_seconds: float | None = None) -> np.ndarray:
    """Read ``path`` as mono float32 samples in [-1, 1] at ``sample_rate`` Hz; with ``max_seconds``,
    only that much from the start is read (memory stays bounded for hour-long files).

    Multi-channel audio is down-mixed by averaging the channels; a different rate is resampled
    with soxr. Raises ``AudioError`` for a missing, unreadable or empty file.
    """
    import soundfile

    file_path = Path(path)
    if sample_rate <= 0:
        raise AudioError(f"sample_rate must be positive, got {sample_rate}")
    if not file_path.is_file():
        raise AudioError(f"audio file not found: {file_path}; check the path (relative paths are resolved from {Path.cwd()})")
    try:
        frames = -1 if max_seconds is None else int(max_seconds * soundfile.info(str(file_path)).samplerate)
        samples, file_rate = soundfile.read(str(file_path), frames=frames, dtype="float32", always_2d=True)
    except (soundfile.LibsndfileError, RuntimeError, OSError) as error:
        raise AudioError(
            f"cannot read audio file {file_path}: {error}; it may be corrupt or in a format libsndfile "
            "does not support (convert it to WAV or FLAC)"
        ) from error
    if samples.shape[0] == 0:
        raise AudioError(f"audio file {file_path} contains no samples; remove it from the dataset")
    truncated = truncation_problem(file_path)
    if truncated is not None:
        raise AudioError(f"audio file {truncated}")
    mono = samples.mean(axis=1, dtype=np.float32) if samples.shape[1] > 1 else samples[:, 0]
    return resample(mono, file_rate, sample_rate)


def resample(samples: np.ndarray, source_rate: int, target_rate: int) -> np.ndarray:
    """Resample mono ``samples`` from ``source_rate`` to ``target_rate`` (float32; a no-op when equal)."""
    samples = np.ascontiguousarray(samples, dtype=np.float32)
    if source_rate == target_rate:
        return samples
    import soxr

    return np.ascontiguousarray(soxr.resample(samples, source_rate, target_rate, quality=RESAMPLE_QUALITY), dtype=np.float32)


def save_audio(
    path: str | os.PathLike[str],
    samples: np.ndarray,
    sample_rate: int,
    subtype: str = "PCM_16",
) -> None:
    """Write mono (or ``(samples, channels)``) audio to ``path`` atomically, 16-bit PCM WAV by default.

    The data goes to a temporary file in the same folder which then replaces ``path``, so a crash
    never leaves a truncated file under the final name. The format follows the file extension
    (``.wav`` if there is none soundfile recognises).
    """
    import soundfile

    final_path = Path(path)
    folder = final_path.parent if str(final_path.parent) else Path(".")
    data = np.asarray(samples)
    if data.ndim not in (1, 2) or data.size == 0:
        raise AudioError(f"cannot save {final_path}: expected a non-empty 1-D or 2-D array, got shape {data.shape}")
    if not np.all(np.isfinite(data)):
        raise AudioError(f"cannot save {final_path}: samples contain NaN or infinity; check the model output")
    file_format = check_writable_format(final_path, subtype)
    try:
        with atomic_path(final_path) as temporary:
            soundfile.write(str(temporary), data, sample_rate, subtype=subtype, format=file_format)
    except (RuntimeError, ValueError, TypeError) as error:
        # libsndfile says only "System error." when the disk fills up: look at the space left.
        needed = data.size * data.itemsize
        if _space_left(folder) < needed:
            raise AudioError(write_failure(final_path, OSError(errno.ENOSPC, "No space left on device"), needed)) from error
        raise AudioError(f"cannot write audio file {final_path}: {error}") from error
    except OSError as error:
        raise AudioError(
            f"cannot write audio to {final_path}: {error.strerror or error}; check that its folder is writable"
        ) from error


def check_writable_format(path: Path, subtype: str = "PCM_16") -> str:
    """The libsndfile format ``path``'s extension asks for; ``AudioError`` naming the formats written when it cannot hold ``subtype``."""
    import soundfile

    file_format = _format_for(path)
    if not soundfile.check_format(file_format, subtype):
        raise AudioError(
            f"cannot write {path}: polyvox writes {', '.join(written_extensions(subtype))} files "
            f"({subtype} samples); give the output one of these extensions"
        )
    return file_format


def written_extensions(subtype: str = "PCM_16") -> list[str]:
    """The file extensions ``save_audio`` writes with ``subtype`` samples."""
    import soundfile

    return [f".{name.lower()}" for name in WRITTEN_FORMATS if soundfile.check_format(name, subtype)]


def _space_left(folder: Path) -> int:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return 0


def _format_for(path: Path) -> str:
    import soundfile

    extension = path.suffix.lstrip(".").upper()
    return extension if extension in soundfile.available_formats() else "WAV"
