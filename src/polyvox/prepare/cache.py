"""Finished work kept between runs: each recording's clips (keyed by the recording's path, size,
modification time, transcript and the audio settings) and each clip's transcript (keyed by the
clip file and the model)."""

from __future__ import annotations

import hashlib
from array import array
import json
import logging
import sqlite3
from dataclasses import asdict
from pathlib import Path
from typing import Any

from polyvox.files import atomic_path
from polyvox.prepare.inputs import SourceRecording
from polyvox.prepare.settings import AudioSettings
from polyvox.prepare.source_processing import ClipRecord, SourceResult

logger = logging.getLogger(__name__)

# Bump when the cached record layout or the processing changes meaning.
CACHE_VERSION = 1
TRANSCRIPTS_FILE = "transcripts.sqlite"
# Where versions before the SQLite file kept transcripts.
JSON_TRANSCRIPTS_FILE = "transcripts.json"


def _file_identity(path: str | Path) -> list[Any]:
    stat = Path(path).stat()
    return [str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns]


class SourceCache:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def key(self, source: SourceRecording, settings: AudioSettings) -> str:
        parts = [CACHE_VERSION, _file_identity(source.audio), asdict(source), settings.fingerprint()]
        return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:24]

    def load(self, key: str) -> SourceResult | None:
        """The cached result, or None when absent, unreadable, or one of its clip files is gone."""
        path = self.folder / f"{key}.json"
        if not path.is_file():
            return None
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            result = SourceResult(
                source=SourceRecording(**record["source"]),
                clips=tuple(ClipRecord(**{**clip, "envelope": array("f", clip["envelope"])}) for clip in record["clips"]),
                steps=dict(record["steps"]),
                problem=record["problem"],
                problem_detail=record["problem_detail"],
            )
        except (OSError, ValueError, KeyError, TypeError) as error:
            logger.warning("ignoring unreadable cache entry %s (%s); the recording is processed again", path, error)
            return None
        if not all(Path(clip.audio).is_file() for clip in result.clips):
            return None
        return result

    def save(self, key: str, result: SourceResult) -> None:
        with atomic_path(self.folder / f"{key}.json") as temporary:
            temporary.write_text(json.dumps(asdict(result), ensure_ascii=False, default=_rounded_list), encoding="utf-8")


def _rounded_list(values: array[float]) -> list[float]:
    """A clip's envelope in JSON, at the precision it was measured to (float32 digits beyond it are noise)."""
    return [round(value, 3) for value in values]


class TranscriptCache:
    """Transcripts of clip files by one model, in an SQLite file: looked up and added one at a time, never
    loaded whole (hundreds of hours are hundreds of thousands of clips), and kept as they come (``save``)."""

    def __init__(self, folder: Path, model_dir: str | Path) -> None:
        self.model = json.dumps(_file_identity(Path(model_dir) / "config.json"))
        self.path = folder / TRANSCRIPTS_FILE
        folder.mkdir(parents=True, exist_ok=True)
        fresh = not self.path.is_file()
        try:
            self.connection = self._open()
        except sqlite3.DatabaseError as error:
            logger.warning("replacing unreadable transcript cache %s (%s)", self.path, error)
            self.path.unlink()
            self.connection, fresh = self._open(), True
        if fresh:
            self._take_json(folder / JSON_TRANSCRIPTS_FILE)

    def _open(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path)
        connection.execute("CREATE TABLE IF NOT EXISTS transcripts (key TEXT PRIMARY KEY, text TEXT)")
        return connection

    def _take_json(self, path: Path) -> None:
        """The transcripts an earlier version kept in one JSON object (read once, left in place)."""
        if not path.is_file():
            return
        try:
            entries = dict(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError) as error:
            logger.warning("ignoring unreadable transcript cache %s (%s)", path, error)
            return
        self.connection.executemany("INSERT OR REPLACE INTO transcripts VALUES (?, ?)", entries.items())
        self.connection.commit()

    def _key(self, clip: ClipRecord) -> str:
        return hashlib.sha256(json.dumps([self.model, _file_identity(clip.audio), clip.language]).encode()).hexdigest()[:24]

    def get(self, clip: ClipRecord) -> str | None:
        row = self.connection.execute("SELECT text FROM transcripts WHERE key = ?", (self._key(clip),)).fetchone()
        return None if row is None else str(row[0])

    def put(self, clip: ClipRecord, text: str) -> None:
        self.connection.execute("INSERT OR REPLACE INTO transcripts VALUES (?, ?)", (self._key(clip), text))

    def save(self) -> None:
        self.connection.commit()

    def close(self) -> None:
        self.connection.commit()
        self.connection.close()
