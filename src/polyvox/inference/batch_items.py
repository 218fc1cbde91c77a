"""What ``polyvox say --batch`` speaks: the lines of a text file, or the records of a JSONL manifest.

A text file gives one utterance per non-blank line, named by its line number (``0001.wav`` ...), so
the names stay the same when the run is repeated. A ``.jsonl`` file gives one JSON object per line
with what to say, ``text``, ``phonemes`` (a string, as ``polyvox say --phonemes`` takes it) or ``score``
(the score's JSON object itself, as ``--score``'s file holds it), and optionally ``id`` (the output
name; default: the stem of ``audio``, else the line number), ``language``, ``speaker`` and ``emotion``
(a style label of the voice; default: the command's own options). A polyvox manifest's ``phonemes`` list (with ``phoneme_durations``) is
the training data's, not input: its ``text`` is spoken.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from polyvox.errors import PolyvoxError
from polyvox.inference.score import Score, ScoreError


class BatchInputError(PolyvoxError, ValueError):
    """The batch file cannot be read or names its outputs badly; the message names the file and line."""


@dataclass(frozen=True)
class BatchItem:
    name: str  # output file stem
    text: str
    language: str | None  # None: the command's --lang
    speaker: str | None  # None: the command's --speaker
    source: str  # where it came from, for messages: "lines.txt, line 3"
    phonemes: str | None = None  # said instead of the text ("" then), as --phonemes
    score: Score | None = None  # sung instead of the text ("" then), as --score
    emotion: str | None = None  # None: the command's --emotion


def _read_lines(path: Path) -> list[str]:
    if not path.is_file():
        raise BatchInputError(f"batch file not found: {path}")
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise BatchInputError(f"cannot read batch file {path}: {error}; it must be UTF-8 text") from error


def _optional_string(record: dict[str, object], field: str, where: str) -> str | None:
    value = record.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise BatchInputError(f"{where}: field {field!r} must be a string, got {value!r}")
    return str(value)


def _record_score(value: object, where: str) -> Score | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise BatchInputError(f'{where}: field \'score\' must be the score itself, a JSON object {{"notes": [...]}} '
                              f"written into the record (not a file name), got {value!r:.60}")
    try:
        return Score.parse(value, f"{where}: score")
    except ScoreError as error:
        raise BatchInputError(str(error)) from error


def _what_to_say(record: dict[str, object], where: str) -> tuple[str, str | None, Score | None]:
    """The record's text, phonemes and score: one of them, the others "" or None."""
    text, phonemes = record.get("text"), record.get("phonemes")
    if isinstance(phonemes, list) and isinstance(text, str):
        phonemes = None  # a polyvox manifest's training phonemes: its text is what to say
    if phonemes is not None and not isinstance(phonemes, str):
        raise BatchInputError(f"{where}: field 'phonemes' must be a string of the voice's symbols (as --phonemes takes), got {phonemes!r:.60}")
    score = _record_score(record.get("score"), where)
    given = [name for name, value in (("text", text), ("phonemes", phonemes), ("score", score)) if value not in (None, "")]
    if len(given) > 1:
        raise BatchInputError(f"{where}: give one of 'text', 'phonemes' or 'score', not {' and '.join(given)}")
    if phonemes is None and score is None and not isinstance(text, str):
        raise BatchInputError(f"{where}: every record needs a 'text' string (or 'phonemes', or a 'score' object)")
    return (text if isinstance(text, str) else ""), phonemes, score


def _record_item(record: object, line_number: int, width: int, where: str) -> BatchItem:
    if not isinstance(record, dict):
        raise BatchInputError(f"{where}: expected a JSON object, got {type(record).__name__}")
    text, phonemes, score = _what_to_say(record, where)
    name = _optional_string(record, "id", where)
    if name is None and isinstance(record.get("audio"), str):
        name = Path(str(record["audio"])).stem
    return BatchItem(
        name=name if name is not None else f"{line_number:0{width}d}",
        text=text,
        language=_optional_string(record, "language", where),
        speaker=_optional_string(record, "speaker", where),
        source=where,
        phonemes=phonemes,
        score=score,
        emotion=_optional_string(record, "emotion", where),
    )


def _check_names(items: list[BatchItem]) -> None:
    seen: dict[str, str] = {}
    for item in items:
        if not item.name or item.name.startswith(".") or any(mark in item.name for mark in "/\\\0"):
            raise BatchInputError(f"{item.source}: {item.name!r} cannot be a file name; use an id without '/', '\\' or a leading '.'")
        if item.name in seen:
            raise BatchInputError(f"{item.source}: id {item.name!r} is used twice (also at {seen[item.name]}); ids name the output files")
        seen[item.name] = item.source


def read_batch_items(path: Path) -> list[BatchItem]:
    """Every utterance of ``path`` (``.jsonl``: records; anything else: one per non-blank line).

    Raises ``BatchInputError`` for a missing or unreadable file, a bad record, a name that is not a
    safe file name, or two items with the same name.
    """
    lines = _read_lines(path)
    width = max(4, len(str(len(lines))))
    items = []
    for line_number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path.name}, line {line_number}"
        if path.suffix.lower() == ".jsonl":
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise BatchInputError(f"{where}: not valid JSON ({error.msg})") from error
            items.append(_record_item(record, line_number, width, where))
        else:
            items.append(BatchItem(f"{line_number:0{width}d}", line.strip(), None, None, where))
    if not items:
        raise BatchInputError(f"{path} has nothing to speak: it is empty or blank")
    _check_names(items)
    return items
