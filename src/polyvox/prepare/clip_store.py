"""Where one ``polyvox prepare`` run keeps its recordings' and clips' records: an SQLite file in the output's
work area, written as each recording finishes. Checking, reporting and writing then read it back in passes,
so a corpus of any size is prepared without its records in memory (#23: they cost 5 KB per clip)."""

from __future__ import annotations

import json
import sqlite3
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from polyvox.prepare.inputs import SourceRecording
from polyvox.prepare.source_processing import ClipRecord, SourceResult

# A clip is named by its recording's position in the input and its number within the recording: recordings
# finish out of order in worker processes, and input order decides which of two duplicates is the copy.
ClipKey = tuple[int, int]

_CLIP_COLUMNS = tuple(field.name for field in fields(ClipRecord) if field.name != "envelope")
_REAL_COLUMNS = {"start_s", "end_s", "duration", "snr_db", "clipped_fraction"}
_SCHEMA = f"""
CREATE TABLE pending (position INTEGER PRIMARY KEY, audio TEXT, speaker TEXT, language TEXT, text TEXT);
CREATE TABLE recordings (position INTEGER PRIMARY KEY, source TEXT, steps TEXT, clips INTEGER, problem TEXT, detail TEXT);
CREATE TABLE clips (recording INTEGER, number INTEGER,
    {", ".join(f"{name} {'REAL' if name in _REAL_COLUMNS else 'TEXT'}" for name in _CLIP_COLUMNS)},
    envelope BLOB, PRIMARY KEY (recording, number));
CREATE INDEX clips_by_duration ON clips (duration, recording, number);
CREATE TABLE verdicts (recording INTEGER, number INTEGER, language TEXT, speaker TEXT, phonemes INTEGER, rate REAL,
    problems TEXT, PRIMARY KEY (recording, number));
CREATE INDEX verdicts_by_group ON verdicts (language, speaker, recording, number);
CREATE TABLE outcomes (recording INTEGER, number INTEGER, audio TEXT, in_manifest INTEGER, flagged INTEGER,
    duration REAL, rate REAL, outcome TEXT, PRIMARY KEY (recording, number));
CREATE INDEX outcomes_by_audio ON outcomes (audio);
"""
# Rows read per query: a pass never keeps a statement open while it writes, nor more than a page of rows.
_PAGE = 256


@dataclass(frozen=True)
class RecordingRow:
    source: str
    steps: dict[str, str]
    clips: int
    problem: str | None
    detail: str


class ClipStore:
    """One run's records in ``path``: a new run replaces the file (this module's own, from an earlier run);
    ``fresh=False`` opens it again to read what a finished run left."""

    def __init__(self, path: Path, fresh: bool = True) -> None:
        self.path = path
        if fresh:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.unlink(missing_ok=True)
        self.connection = sqlite3.connect(path)
        if fresh:
            # A scratch file remade by every run: a crash loses nothing worth a journal or a sync.
            self.connection.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + _SCHEMA)

    def close(self) -> None:
        self.connection.commit()
        self.connection.close()

    def add_pending(self, position: int, source: SourceRecording) -> None:
        """A recording still to process (none of its work is cached)."""
        self.connection.execute("INSERT INTO pending VALUES (?, ?, ?, ?, ?)", (position, source.audio, source.speaker, source.language, source.text))

    def pending(self) -> Iterator[tuple[int, SourceRecording]]:
        for position, *values in self._paged("position, audio, speaker, language, text", "pending", ("position",)):
            yield position, SourceRecording(*values)

    def add(self, position: int, result: SourceResult) -> None:
        """The recording at ``position`` of the input and its clips."""
        self.connection.execute(
            "INSERT INTO recordings VALUES (?, ?, ?, ?, ?, ?)",
            (position, result.source.audio, json.dumps(result.steps), len(result.clips), result.problem, result.problem_detail),
        )
        self.connection.executemany(
            f"INSERT INTO clips VALUES ({', '.join('?' * (len(_CLIP_COLUMNS) + 3))})",
            [(position, number, *_clip_values(clip), array("f", clip.envelope).tobytes()) for number, clip in enumerate(result.clips)],
        )
        self.connection.commit()

    def recordings(self) -> Iterator[RecordingRow]:
        for source, steps, clips, problem, detail in self._paged("source, steps, clips, problem, detail", "recordings", ("position",)):
            yield RecordingRow(source, json.loads(steps), clips, problem, detail)

    def clips(self, where: str = "1", parameters: tuple[Any, ...] = ()) -> Iterator[tuple[ClipKey, ClipRecord]]:
        """The clips (``where`` they match) in input order, without their envelopes (``envelope`` reads one)."""
        for recording, number, *values in self._paged(f"recording, number, {', '.join(_CLIP_COLUMNS)}", "clips", _KEY, where, parameters):
            yield (recording, number), ClipRecord(*values, envelope=array("f"))

    def set_text(self, key: ClipKey, text: str | None) -> None:
        self.connection.execute("UPDATE clips SET text = ? WHERE recording = ? AND number = ?", (text, *key))

    def by_duration(self) -> Iterator[tuple[ClipKey, float]]:
        """Every clip's key and length, shortest first; clips of equal length in input order."""
        for recording, number, duration in self._paged("recording, number, duration", "clips", ("duration", *_KEY)):
            yield (recording, number), duration

    def envelope(self, key: ClipKey) -> array[float]:
        (blob,) = self.connection.execute("SELECT envelope FROM clips WHERE recording = ? AND number = ?", key).fetchone()
        envelope = array("f")
        envelope.frombytes(blob)
        return envelope

    def audio(self, key: ClipKey) -> str:
        return str(self.connection.execute("SELECT audio FROM clips WHERE recording = ? AND number = ?", key).fetchone()[0])

    def add_verdict(self, key: ClipKey, clip: ClipRecord, phonemes: int | None, rate: float | None, problems: list[tuple[str, str]]) -> None:
        self.connection.execute(
            "INSERT INTO verdicts VALUES (?, ?, ?, ?, ?, ?, ?)", (*key, clip.language, clip.speaker, phonemes, rate, json.dumps(problems))
        )

    def add_problem(self, key: ClipKey, reason: str, detail: str) -> None:
        (problems,) = self.connection.execute("SELECT problems FROM verdicts WHERE recording = ? AND number = ?", key).fetchone()
        updated = json.dumps([*json.loads(problems), [reason, detail]])
        self.connection.execute("UPDATE verdicts SET problems = ? WHERE recording = ? AND number = ?", (updated, *key))

    def rate_groups(self) -> list[tuple[str, str]]:
        """The (language, speaker) pairs with a speaking rate: one per speaker and language, few."""
        rows = self.connection.execute("SELECT DISTINCT language, speaker FROM verdicts WHERE rate IS NOT NULL").fetchall()
        return [(language, speaker) for language, speaker in rows]

    def rates(self, language: str, speaker: str) -> Iterator[tuple[ClipKey, float]]:
        """The speaking rates of one speaker's clips in one language, in input order."""
        where = "language = ? AND speaker = ? AND rate IS NOT NULL"
        for recording, number, rate in self._paged("recording, number, rate", "verdicts", _KEY, where, (language, speaker)):
            yield (recording, number), rate

    def verdicts(self) -> Iterator[tuple[ClipKey, ClipRecord, int | None, list[tuple[str, str]]]]:
        """Each clip (without envelope), its phoneme count and its problems, in input order."""
        # Qualified: verdicts repeat a clip's language and speaker.
        columns = f"recording, number, {', '.join('clips.' + name for name in _CLIP_COLUMNS)}, phonemes, problems"
        for recording, number, *values, phonemes, problems in self._paged(columns, "clips JOIN verdicts USING (recording, number)", _KEY):
            clip = ClipRecord(*values, envelope=array("f"))
            yield (recording, number), clip, phonemes, [(reason, detail) for reason, detail in json.loads(problems)]

    def add_outcome(self, key: ClipKey, outcome: dict[str, Any], in_manifest: bool) -> None:
        values = (outcome["audio"], in_manifest, bool(outcome["reasons"]), outcome["duration"], outcome["phonemes_per_second"])
        self.connection.execute("INSERT INTO outcomes VALUES (?, ?, ?, ?, ?, ?, ?, ?)", (*key, *values, json.dumps(outcome, ensure_ascii=False)))

    def outcomes(self, where: str = "1") -> Iterator[dict[str, Any]]:
        """The clips' outcomes (``ClipOutcome`` as a dict), in input order."""
        for (outcome,) in self._paged("outcome", "outcomes", _KEY, where):
            yield json.loads(outcome)

    def outcome_values(self, column: str) -> Iterator[tuple[float | None, bool]]:
        """One outcome column (``duration`` or ``rate``) and whether the clip is in the manifest, in input order."""
        for value, in_manifest in self._paged(f"{column}, in_manifest", "outcomes", _KEY):
            yield value, bool(in_manifest)

    def in_manifest(self, audio: str) -> bool:
        """Whether this run put the clip file ``audio`` in the manifest."""
        return self.connection.execute("SELECT 1 FROM outcomes WHERE audio = ? AND in_manifest", (audio,)).fetchone() is not None

    def _paged(
        self, columns: str, table: str, order: tuple[str, ...], where: str = "1", parameters: tuple[Any, ...] = ()
    ) -> Iterator[tuple[Any, ...]]:
        """Rows in ``order`` (columns that name a row), read a page at a time after the last row read."""
        order_list = ", ".join(order)
        query = f"SELECT {order_list}, {columns} FROM {table} WHERE ({where}) AND ({order_list}) > ({', '.join('?' * len(order))}) ORDER BY {order_list} LIMIT {_PAGE}"
        first = f"SELECT {order_list}, {columns} FROM {table} WHERE ({where}) ORDER BY {order_list} LIMIT {_PAGE}"
        rows = self.connection.execute(first, parameters).fetchall()
        while rows:
            for row in rows:
                yield row[len(order) :]
            last = rows[-1][: len(order)]
            rows = self.connection.execute(query, (*parameters, *last)).fetchall() if len(rows) == _PAGE else []


_KEY = ("recording", "number")


def _clip_values(clip: ClipRecord) -> tuple[Any, ...]:
    return tuple(getattr(clip, name) for name in _CLIP_COLUMNS)
