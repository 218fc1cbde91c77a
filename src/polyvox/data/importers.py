"""Turn common dataset layouts into manifest utterances.

Durations come from the audio file headers (``soundfile.info``), so importing is fast even for
large datasets. Audio paths in the returned utterances are absolute.
"""

from __future__ import annotations

import csv
import logging
import os
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
    root = Path(folder)
    metadata = root / "metadata.csv"
    if not metadata.is_file():
        raise DatasetImportError(f"{root} has no metadata.csv; an LJSpeech folder needs metadata.csv and wavs/")
    utterances = []
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
            utterances.append(_utterance(audio, text, speaker, language))
    if missing:
        logger.warning("%d line(s) of %s have no audio file in %s; skipped", missing, metadata, root / "wavs")
    return utterances


def import_folder(folder: str | os.PathLike[str], language: str, speaker: str | None = None) -> list[Utterance]:
    """Import audio files with transcripts.

    Transcripts are either a same-named ``.txt``/``.lab`` file beside each audio file, or one
    ``transcripts.txt``/``transcripts.csv`` per folder with ``name|text`` lines (name with or
    without extension). With ``speaker=None`` every sub-folder is one speaker named after it
    (audio directly in ``folder`` gets the folder's name); otherwise all audio is ``speaker``'s.
    Audio without a transcript is skipped with a warning.
    """
    root = Path(folder)
    if not root.is_dir():
        raise DatasetImportError(f"dataset folder not found: {root}")
    if speaker is not None:
        groups = [(speaker, root, True)]
    else:
        groups = [(root.name, root, False)]
        groups += [(child.name, child, True) for child in sorted(root.iterdir()) if child.is_dir() and not child.name.startswith(".")]
    utterances: list[Utterance] = []
    for group_speaker, group_folder, recursive in groups:
        utterances += _import_speaker_folder(group_folder, language, group_speaker, recursive)
    if not utterances:
        raise DatasetImportError(
            f"no transcribed audio found in {root}; expected audio files ({', '.join(AUDIO_EXTENSIONS)}) with a "
            f"same-named .txt/.lab transcript, or a transcripts.txt/.csv file with 'name|text' lines"
        )
    return utterances


def _import_speaker_folder(folder: Path, language: str, speaker: str, recursive: bool) -> list[Utterance]:
    audio_files = sorted(
        path
        for path in (folder.rglob("*") if recursive else folder.iterdir())
        if path.is_file() and path.suffix.lower() in AUDIO_EXTENSIONS and not path.name.startswith(".")
    )
    listed: dict[Path, dict[str, str]] = {}
    utterances = []
    untranscribed = 0
    for audio in audio_files:
        if audio.parent not in listed:
            listed[audio.parent] = _read_transcript_list(audio.parent)
        try:
            text = _transcript_beside(audio)
            if text is None:
                table = listed[audio.parent]
                text = table.get(audio.name, table.get(audio.stem))
            if text is None or not text.strip():
                untranscribed += 1
                continue
            utterances.append(_utterance(audio, text.strip(), speaker, language))
        except DatasetImportError as error:
            # One bad file (unreadable audio, a transcript that is not UTF-8) is skipped, never the folder.
            logger.warning("%s; skipped", error)
    if untranscribed:
        logger.warning("%d audio file(s) in %s have no transcript; skipped", untranscribed, folder)
    return utterances


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
