"""What ``polyvox prepare`` reads: one recording, a folder of clips (with or without transcripts),
the LJSpeech layout, or a CSV/JSONL list of audio paths and texts; each becomes a ``SourceRecording``."""

from __future__ import annotations

import contextlib
import csv
import itertools
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from polyvox.data.importers import (
    AUDIO_EXTENSIONS,
    TranscriptLists,
    folder_speaker,
    iter_ljspeech,
    sorted_audio_files,
    transcribed_utterance,
)
from polyvox.data.manifest import Utterance
from polyvox.prepare.errors import PrepareError

LIST_EXTENSIONS = (".csv", ".tsv", ".jsonl")
AUDIO_COLUMNS = ("audio", "path", "file")


@dataclass(frozen=True)
class SourceRecording:
    """One input audio file. ``text`` is its transcript (lines of a long recording's transcript are
    its sentences) or None when it has none."""

    audio: str
    speaker: str
    language: str
    text: str | None = None


def iter_sources(
    path: str | Path,
    language: str,
    speaker: str | None = None,
    transcript: str | Path | None = None,
    exclude: str | Path | None = None,
) -> Iterator[SourceRecording]:
    """The recordings under ``path``, one at a time; ``transcript`` is the text of a single recording given as
    ``path``. Audio under ``exclude`` (the output folder, when it lies inside the input) is left out. A list
    (CSV, JSONL) is read a line at a time, never whole (#23: a parsed line of a manifest with phonemes costs 8 KB)."""
    root = Path(path)
    if transcript is not None and not root.is_file():
        raise PrepareError(f"--transcript goes with a single recording, but {root} is not an audio file")
    if root.is_file():
        if root.suffix.lower() in LIST_EXTENSIONS:
            yield from _read_list(root, language, speaker)
            return
        if root.suffix.lower() in AUDIO_EXTENSIONS:
            yield _single_recording(root, language, speaker, transcript)
            return
        raise PrepareError(
            f"cannot prepare {root}: expected an audio file ({', '.join(AUDIO_EXTENSIONS)}), a folder, "
            f"or a list ({', '.join(LIST_EXTENSIONS)}) of audio paths and texts"
        )
    if root.is_dir():
        if (root / "metadata.csv").is_file() and (root / "wavs").is_dir():
            yield from (_from_utterance(u) for u in iter_ljspeech(root, language, speaker or root.name))
            return
        yield from _read_folder(root, language, speaker, Path(exclude).resolve() if exclude is not None else None)
        return
    raise PrepareError(f"input not found: {root}")


def _single_recording(audio: Path, language: str, speaker: str | None, transcript: str | Path | None) -> SourceRecording:
    text_path = Path(transcript) if transcript is not None else next(
        (audio.with_suffix(ext) for ext in (".txt", ".lab") if audio.with_suffix(ext).is_file()), None
    )
    text = None
    if text_path is not None:
        try:
            text = text_path.read_text(encoding="utf-8").strip() or None
        except UnicodeDecodeError as error:
            raise PrepareError(f"transcript {text_path} is not UTF-8 text (byte 0x{error.object[error.start]:02x} at offset {error.start}); save it as UTF-8") from error
        except OSError as error:
            raise PrepareError(f"cannot read transcript {text_path}: {error.strerror or error}") from error
    return SourceRecording(str(audio.resolve()), speaker or audio.stem, language, text)


@contextlib.contextmanager
def _quiet_importer() -> Iterator[None]:
    # The importer warns that untranscribed audio is "skipped"; prepare transcribes or reports it itself.
    importer_logger = logging.getLogger("polyvox.data.importers")
    level = importer_logger.level
    importer_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        importer_logger.setLevel(level)


def _read_folder(root: Path, language: str, speaker: str | None, exclude: Path | None) -> Iterator[SourceRecording]:
    """Every audio file under ``root`` in sorted order, one at a time (#23: no record per recording is held):
    with the speaker and transcript ``import_folder`` gives it, else untranscribed with the first sub-folder's
    name (or the folder's own) as its speaker."""
    transcripts = TranscriptLists()
    found = False
    for audio in sorted_audio_files(root):
        resolved = audio.resolve()
        if audio.name.startswith(".") or (exclude is not None and resolved.is_relative_to(exclude)):
            continue
        found = True
        imported_speaker = folder_speaker(root, audio, speaker)
        utterance = None
        if imported_speaker is not None:
            with _quiet_importer():
                utterance = transcribed_utterance(audio, transcripts, imported_speaker, language)
        if utterance is not None:
            yield _from_utterance(utterance)
            continue
        relative = audio.relative_to(root)
        untranscribed_speaker = relative.parts[0] if len(relative.parts) > 1 else root.resolve().name
        yield SourceRecording(str(resolved), speaker or untranscribed_speaker, language, None)
    if not found:
        raise PrepareError(f"no audio files ({', '.join(AUDIO_EXTENSIONS)}) found in {root}")


def _read_list(path: Path, language: str, speaker: str | None) -> Iterator[SourceRecording]:
    found = False
    try:
        with open(path, encoding="utf-8", newline="") as stream:
            rows = _jsonl_rows(path, stream) if path.suffix.lower() == ".jsonl" else _csv_rows(path, stream)
            for line_number, row in rows:
                yield _listed_recording(path, line_number, row, language, speaker)
                found = True
    except (OSError, UnicodeDecodeError) as error:
        raise PrepareError(f"cannot read {path}: {error}; it must be a UTF-8 text file") from error
    if not found:
        raise PrepareError(f"{path} lists no recordings")


def _listed_recording(path: Path, line_number: int, row: dict[str, str], language: str, speaker: str | None) -> SourceRecording:
    audio_key = next((key for key in AUDIO_COLUMNS if row.get(key)), None)
    if audio_key is None:
        raise PrepareError(f"{path}, line {line_number}: no audio path; give a column named one of {list(AUDIO_COLUMNS)}")
    audio = Path(str(row[audio_key]))
    audio = audio if audio.is_absolute() else path.parent / audio
    if not audio.is_file():
        raise PrepareError(f"{path}, line {line_number}: audio file not found: {audio}")
    text = str(row.get("text") or "").strip() or None
    return SourceRecording(
        str(audio.resolve()),
        str(row.get("speaker") or speaker or path.stem),
        str(row.get("language") or language),
        text,
    )


def _csv_rows(path: Path, stream: IO[str]) -> Iterator[tuple[int, dict[str, str]]]:
    header = stream.readline()
    try:
        dialect = csv.Sniffer().sniff(header.rstrip("\r\n"), delimiters=",|\t;")
    except csv.Error as error:
        raise PrepareError(f"{path}: cannot tell the column separator ({error}); use a header line such as 'audio,text'") from error
    reader = csv.DictReader(itertools.chain([header], stream), dialect=dialect)
    fields = [name.strip().lower() for name in reader.fieldnames or []]
    if "text" not in fields or not set(AUDIO_COLUMNS) & set(fields):
        raise PrepareError(
            f"{path}: the first line must name the columns, e.g. 'audio,text[,speaker,language]'; got {fields}"
        )
    reader.fieldnames = fields
    for row in reader:
        if row.get("text") or any(row.get(key) for key in AUDIO_COLUMNS):
            yield reader.line_num, row


def _jsonl_rows(path: Path, stream: IO[str]) -> Iterator[tuple[int, dict[str, str]]]:
    for number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise PrepareError(f"{path}, line {number}: not JSON ({error.msg})") from error
        if not isinstance(record, dict):
            raise PrepareError(f"{path}, line {number}: expected an object with 'audio' and 'text'")
        yield number, record


def _from_utterance(utterance: Utterance) -> SourceRecording:
    return SourceRecording(utterance.audio, utterance.speaker, utterance.language, utterance.text)
