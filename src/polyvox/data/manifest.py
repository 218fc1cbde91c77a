"""The dataset manifest: one JSON object per line describing one utterance.

Audio paths are stored relative to the manifest's folder (so a dataset folder can be moved) and
resolved to absolute paths when read.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from polyvox.errors import PolyvoxError
from polyvox.files import atomic_path

REQUIRED_FIELDS = ("audio", "text", "speaker", "language", "duration")


class ManifestError(PolyvoxError, ValueError):
    """A manifest cannot be read or written; the message names the file, the line and the problem."""


@dataclass(frozen=True)
class Utterance:
    """One recording and its transcript.

    ``audio`` is a path (absolute after ``read_manifest``); ``duration`` is in seconds.
    ``phonemes`` and ``phoneme_durations`` (seconds per phoneme token, same length) are optional, and
    so is ``style`` (how it is said: calm, excited, ...; a voice with a style component learns a row for each).
    """

    audio: str
    text: str
    speaker: str
    language: str
    duration: float
    phonemes: tuple[str, ...] | None = None
    phoneme_durations: tuple[float, ...] | None = None
    style: str | None = None

    def __post_init__(self) -> None:
        if (self.phonemes is None) != (self.phoneme_durations is None):
            raise ManifestError(f"{self.audio}: phonemes and phoneme_durations must be given together")
        if self.phonemes is not None and self.phoneme_durations is not None:
            if len(self.phonemes) != len(self.phoneme_durations):
                raise ManifestError(
                    f"{self.audio}: {len(self.phonemes)} phonemes but {len(self.phoneme_durations)} durations; "
                    "they must have the same length"
                )

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "audio": self.audio,
            "text": self.text,
            "speaker": self.speaker,
            "language": self.language,
            "duration": self.duration,
        }
        if self.phonemes is not None:
            data["phonemes"] = list(self.phonemes)
            data["phoneme_durations"] = list(self.phoneme_durations or ())
        if self.style is not None:
            data["style"] = self.style
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Utterance:
        """Build from a manifest record; raises ``ManifestError`` naming a missing or bad field."""
        if not isinstance(data, dict):
            raise ManifestError(f"expected a JSON object, got {type(data).__name__}")
        missing = [name for name in REQUIRED_FIELDS if name not in data]
        if missing:
            raise ManifestError(f"missing field(s) {', '.join(missing)}; every line needs {', '.join(REQUIRED_FIELDS)}")
        for name in ("audio", "text", "speaker", "language"):
            if not isinstance(data[name], str):
                raise ManifestError(f"field {name!r} must be a string, got {data[name]!r}")
        duration = data["duration"]
        if isinstance(duration, bool) or not isinstance(duration, (int, float)) or not math.isfinite(duration) or duration < 0:
            raise ManifestError(f"field 'duration' must be a non-negative number of seconds, got {duration!r}")
        phonemes = data.get("phonemes")
        durations = data.get("phoneme_durations")
        if phonemes is not None and (not isinstance(phonemes, list) or not all(isinstance(p, str) for p in phonemes)):
            raise ManifestError("field 'phonemes' must be a list of strings")
        if durations is not None and (
            not isinstance(durations, list)
            or not all(isinstance(d, (int, float)) and not isinstance(d, bool) for d in durations)
        ):
            raise ManifestError("field 'phoneme_durations' must be a list of numbers")
        style = data.get("style")
        if style is not None and (not isinstance(style, str) or not style.strip()):
            raise ManifestError(f"field 'style' must be a non-empty string (a label such as calm or excited), got {style!r}")
        return cls(
            audio=data["audio"],
            text=data["text"],
            speaker=data["speaker"],
            language=data["language"],
            duration=float(duration),
            # Shared, not copied: a corpus repeats a few dozen symbols and (durations counted in frames) a few
            # hundred durations millions of times, and each parsed copy costs 24-50 bytes (#23: 20 hours of clips).
            phonemes=tuple(map(sys.intern, phonemes)) if phonemes is not None else None,
            phoneme_durations=tuple(_shared_number(float(d)) for d in durations) if durations is not None else None,
            style=sys.intern(style) if style is not None else None,
        )


_SHARED_NUMBERS: dict[float, float] = {}
_MAX_SHARED_NUMBERS = 1 << 16  # a manifest of free-form durations stops sharing there


def _shared_number(value: float) -> float:
    shared = _SHARED_NUMBERS.get(value)
    if shared is not None:
        return shared
    if len(_SHARED_NUMBERS) < _MAX_SHARED_NUMBERS:
        _SHARED_NUMBERS[value] = value
    return value


def require_manifest(path: str | Path) -> Path:
    """``path``, or ``ManifestError`` when no manifest is there (checked before any output is made)."""
    manifest_path = Path(path)
    if not manifest_path.is_file():
        raise ManifestError(f"manifest not found: {manifest_path}; create one with an importer or `polyvox prepare`")
    return manifest_path


def read_manifest(path: str | os.PathLike[str]) -> list[Utterance]:
    """Read a JSONL manifest; audio paths come back absolute (resolved from the manifest's folder).

    Blank lines are skipped. A malformed line raises ``ManifestError`` naming file and line number.
    """
    return list(iter_manifest(path))


def iter_manifest(path: str | os.PathLike[str]) -> Iterator[Utterance]:
    """``read_manifest`` one line at a time: for passes over a corpus too large to hold (feature caching)."""
    manifest_path = require_manifest(path)
    folder = Path(os.path.abspath(manifest_path)).parent
    with open(manifest_path, "rb") as stream:
        # Lines end at b"\n" only: a text may hold U+2028 and other characters splitlines() breaks at.
        for line_number, raw in enumerate(stream, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as error:
                raise ManifestError(
                    f"{manifest_path}, line {line_number}: not UTF-8 text (byte 0x{raw[error.start]:02x}); save the manifest as UTF-8"
                ) from error
            if not line.strip():
                continue
            try:
                utterance = Utterance.from_dict(json.loads(line))
            except (json.JSONDecodeError, ManifestError) as error:
                raise ManifestError(f"{manifest_path}, line {line_number}: {error}") from error
            audio = Path(utterance.audio)
            yield _with_audio(utterance, str(audio if audio.is_absolute() else folder / audio))


def write_manifest(path: str | os.PathLike[str], utterances: Iterable[Utterance]) -> None:
    """Write ``utterances`` as JSONL atomically; audio paths inside the manifest's folder become relative."""
    manifest_path = Path(path)
    folder = Path(os.path.abspath(manifest_path)).parent
    try:
        # Line by line: a manifest of hundreds of hours is never held whole (#23).
        with atomic_path(manifest_path) as temporary, open(temporary, "w", encoding="utf-8") as stream:
            for utterance in utterances:
                stream.write(json.dumps(_with_audio(utterance, _relative_to(utterance.audio, folder)).to_dict(), ensure_ascii=False) + "\n")
    except OSError as error:
        raise ManifestError(f"cannot write manifest {manifest_path}: {error.strerror or error}; check that the folder is writable") from error


def _relative_to(audio: str, folder: Path) -> str:
    audio_path = Path(audio)
    if not audio_path.is_absolute():
        return audio_path.as_posix()
    for base, target in ((folder, Path(os.path.abspath(audio_path))), (folder.resolve(), audio_path.resolve())):
        try:
            return target.relative_to(base).as_posix()
        except ValueError:
            continue
    return str(audio_path)


def _with_audio(utterance: Utterance, audio: str) -> Utterance:
    return dataclasses.replace(utterance, audio=audio)
