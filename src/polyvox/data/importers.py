"""Turn common dataset layouts into manifest utterances.

Durations come from the audio file headers (``soundfile.info``), so importing is fast even for
large datasets. Audio paths in the returned utterances are absolute. ``iter_ljspeech`` and ``iter_folder``
yield them one at a time (``polyvox prepare`` reads hundreds of hours through them); ``import_ljspeech`` and
``import_folder`` are their lists.
"""

from __future__ import annotations

import csv
import logging
import os
from collections.abc import Iterator
from pathlib import Path

from polyvox.data.manifest import Utterance
from polyvox.errors import PolyvoxError

logger = logging.getLogger(__name__)

AUDIO_EXTENSIONS = (".wav", ".flac", ".ogg", ".mp3")
TRANSCRIPT_EXTENSIONS = (".txt", ".lab")
TRANSCRIPT_LIST_NAMES = ("transcripts.txt", "transcripts.csv")


class DatasetImportError(PolyvoxError, ValueError):
    """A dataset folder does not have the expected layout; the message says what was expected."""


def import_ljspeech(folder: str | os.PathLike[str], language: str, speaker: str = "ljspeech") -> list[Utterance]:
    """Import an LJSpeech-style folder: ``metadata.csv`` with ``id|text|normalized text`` lines
    and ``wavs/<id>.wav``. The normalized text is used when present, else the raw text.
    Lines whose audio is missing are skipped with a warning."""
    return list(iter_ljspeech(folder, language, speaker))


def iter_ljspeech(folder: str | os.PathLike[str], language: str, speaker: str = "ljspeech") -> Iterator[Utterance]:
    """``import_ljspeech``'s utterances, one at a time, as ``metadata.csv`` is read a line at a time."""
    root = Path(folder)
    metadata = root / "metadata.csv"
    if not metadata.is_file():
        raise DatasetImportError(f"{root} has no metadata.csv; an LJSpeech folder needs metadata.csv and wavs/")
    missing = 0
    with metadata.open(encoding="utf-8", newline="") as stream:
        for line_number, row in enumerate(csv.reader(stream, delimiter="|", quoting=csv.QUOTE_NONE), start=1):
            if not row or not row[0].strip():
                continue
            if len(row) < 2:
                raise DatasetImportError(f"{metadata}, line {line_number}: expected 'id|text|normalized text', got {row!r}")
            identifier = row[0].strip()
            text = (row[2] if len(row) > 2 and row[2].strip() else row[1]).strip()
            audio = root / "wavs" / f"{identifier}.wav"
            if not audio.is_file():
                missing += 1
                continue
            yield _utterance(audio, text, speaker, language)
    if missing:
        logger.warning("%d line(s) of %s have no audio file in %s; skipped", missing, metadata, root / "wavs")


def import_folder(folder: str | os.PathLike[str], language: str, speaker: str | None = None) -> list[Utterance]:
    """Import audio files with transcripts.

    Transcripts are either a same-named ``.txt``/``.lab`` file beside each audio file, or one
    ``transcripts.txt``/``transcripts.csv`` per folder with ``name|text`` lines (name with or
    without extension). With ``speaker=None`` every sub-folder is one speaker named after it
    (audio directly in ``folder`` gets the folder's name); otherwise all audio is ``speaker``'s.
    Audio without a transcript is skipped with a warning.
    """
    return list(iter_folder(folder, language, speaker))


def iter_folder(folder: str | os.PathLike[str], language: str, speaker: str | None = None) -> Iterator[Utterance]:
    """``import_folder``'s utterances, one at a time: what it holds is the names of the folders being listed
    and their transcript lists, never a record per recording."""
    root = Path(folder)
    if not root.is_dir():
        raise DatasetImportError(f"dataset folder not found: {root}")
    if speaker is not None:
        groups = [(speaker, root, True)]
    else:
        groups = [(root.name, root, False)]
        groups += [(child.name, child, True) for child in sorted(root.iterdir()) if child.is_dir() and not child.name.startswith(".")]
    found = False
    for group_speaker, group_folder, recursive in groups:
        for utterance in _iter_speaker_folder(group_folder, language, group_speaker, recursive):
            found = True
            yield utterance
    if not found:
        raise DatasetImportError(
            f"no transcribed audio found in {root}; expected audio files ({', '.join(AUDIO_EXTENSIONS)}) with a "
            f"same-named .txt/.lab transcript, or a transcripts.txt/.csv file with 'name|text' lines"
        )


def sorted_audio_files(folder: Path, recursive: bool = True) -> Iterator[Path]:
    """The audio files under ``folder`` in the order of ``sorted(folder.rglob("*"))`` (of ``sorted(folder.iterdir())``
    when not ``recursive``), hidden names included, one folder's names held at a time: sorting paths compares
    them part by part, which is listing each folder sorted by name and going into a sub-folder where its name
    sorts. Like ``rglob``, it does not go into linked folders or folders it may not read."""
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
    except PermissionError:
        return
    for entry in entries:
        path = folder / entry.name
        if recursive and entry.is_dir() and not entry.is_symlink():
            yield from sorted_audio_files(path, recursive)
        elif path.suffix.lower() in AUDIO_EXTENSIONS and path.is_file():
            yield path


class TranscriptLists:
    """The ``transcripts.txt``/``.csv`` tables of the folder being listed and of the folders above it, each read
    once (``sorted_audio_files`` may come back to a folder after one of its sub-folders); the others are dropped."""

    def __init__(self) -> None:
        self._tables: dict[Path, dict[str, str]] = {}

    def table(self, folder: Path) -> dict[str, str]:
        """``folder``'s list; ``DatasetImportError`` when it is malformed or not UTF-8 (the import stops)."""
        self._tables = {known: table for known, table in self._tables.items() if folder.is_relative_to(known)}
        if folder not in self._tables:
            self._tables[folder] = _read_transcript_list(folder)
        return self._tables[folder]


def transcribed_utterance(audio: Path, transcripts: TranscriptLists, speaker: str, language: str) -> Utterance | None:
    """The audio as ``import_folder`` imports it, with the transcript beside it or in its folder's list; None
    where it skips it: no transcript or an empty one, or (with a warning) a transcript that is not UTF-8 or an
    audio header that cannot be read. A malformed list raises ``DatasetImportError``."""
    table = transcripts.table(audio.parent)
    try:
        text = _transcript_beside(audio)
        if text is None:
            text = table.get(audio.name, table.get(audio.stem))
        if text is None or not text.strip():
            return None
        return _utterance(audio, text.strip(), speaker, language)
    except DatasetImportError as error:
        # One bad file (unreadable audio, a transcript that is not UTF-8) is skipped, never the folder.
        logger.warning("%s; skipped", error)
        return None


def folder_speaker(root: Path, audio: Path, speaker: str | None) -> str | None:
    """The speaker ``import_folder(root, speaker=speaker)`` gives ``audio``: ``speaker``, else its first sub-folder's
    name, or the folder's own (as given) for audio directly in it; None under a hidden sub-folder (not imported)."""
    if speaker is not None:
        return speaker
    parts = audio.relative_to(root).parts
    if len(parts) == 1:
        return root.name
    return None if parts[0].startswith(".") else parts[0]


def _iter_speaker_folder(folder: Path, language: str, speaker: str, recursive: bool) -> Iterator[Utterance]:
    transcripts = TranscriptLists()
    skipped = 0
    for audio in sorted_audio_files(folder, recursive):
        if audio.name.startswith("."):
            continue
        utterance = transcribed_utterance(audio, transcripts, speaker, language)
        if utterance is None:
            skipped += 1
            continue
        yield utterance
    if skipped:
        logger.warning("%d audio file(s) in %s have no usable transcript or audio; skipped", skipped, folder)


def _transcript_beside(audio: Path) -> str | None:
    for extension in TRANSCRIPT_EXTENSIONS:
        candidate = audio.with_suffix(extension)
        if candidate.is_file():
            return read_utf8(candidate).strip()
    return None


def read_utf8(path: Path) -> str:
    """A text file's content; ``DatasetImportError`` naming the file when it is not UTF-8 or cannot be read."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise DatasetImportError(
            f"{path} is not UTF-8 text (byte 0x{error.object[error.start]:02x} at offset {error.start}); save it as UTF-8"
        ) from error
    except OSError as error:
        raise DatasetImportError(f"cannot read {path}: {error.strerror or error}") from error


def _read_transcript_list(folder: Path) -> dict[str, str]:
    table: dict[str, str] = {}
    for name in TRANSCRIPT_LIST_NAMES:
        path = folder / name
        if not path.is_file():
            continue
        for line_number, line in enumerate(read_utf8(path).splitlines(), start=1):
            if not line.strip():
                continue
            key, separator, text = line.partition("|")
            if not separator:
                raise DatasetImportError(f"{path}, line {line_number}: expected 'name|text', got {line!r}")
            table[key.strip()] = text.strip()
    return table


def _utterance(audio: Path, text: str, speaker: str, language: str) -> Utterance:
    import soundfile

    try:
        info = soundfile.info(str(audio))
    except (soundfile.LibsndfileError, RuntimeError, OSError) as error:
        raise DatasetImportError(f"cannot read the header of {audio}: {error}; the file may be corrupt") from error
    return Utterance(
        audio=str(audio.resolve()),
        text=text,
        speaker=speaker,
        language=language,
        duration=info.frames / info.samplerate,
    )
