"""``prepare_report.json`` and the two histograms, written from a run's clip store a row at a time: the lists
of recordings and flagged clips stream into the file instead of being built whole (#23: hours of data). The
file is the one ``json.dumps(content, ensure_ascii=False, indent=1)`` would give."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict
from pathlib import Path
from typing import IO, Any

from polyvox.files import atomic_path
from polyvox.prepare.clip_store import ClipStore
from polyvox.prepare.histograms import write_histogram
from polyvox.prepare.report import LENGTH_HISTOGRAM, RATE_HISTOGRAM, REPORT_FILE, PrepareReport, RecordingSteps, UnusableRecording


def write_report(report: PrepareReport, store: ClipStore, folder: Path) -> list[Path]:
    """The report and its histograms in ``folder``; their paths."""
    lengths = write_histogram(folder / LENGTH_HISTOGRAM, lambda: store.outcome_values("duration"), "clip length (s)", "Clip lengths")
    rates = write_histogram(folder / RATE_HISTOGRAM, lambda: store.outcome_values("rate"), "phonemes per second", "Speaking rates")
    recordings = store.recordings
    content: dict[str, Any] = {
        "input": report.input,
        "manifest": report.manifest,
        "flagged_policy": report.flagged_policy,
        "settings": report.settings,
        "recordings": report.recordings,
        "recordings_reused": report.reused,
        "steps": dict(report.steps),
        "recording_steps": (asdict(RecordingSteps(row.source, row.steps, row.clips)) for row in recordings()),
        "clips_written": report.clips_written,
        "clips_in_manifest": report.clips_in_manifest,
        "duration_in_manifest_s": round(report.duration_in_manifest_s, 2),
        "per_speaker_language": report.per_speaker_language(),
        "reasons": dict(report.reasons()),
        "unusable_recordings": (asdict(UnusableRecording(row.source, row.problem, row.detail)) for row in recordings() if row.problem),
        "flagged_or_dropped": store.outcomes("flagged"),
        "phoneme_coverage": report.phoneme_coverage,
        "histograms": [lengths.name, rates.name],
    }
    path = folder / REPORT_FILE
    with atomic_path(path) as temporary, open(temporary, "w", encoding="utf-8") as stream:
        _write_object(stream, content)
    return [path, lengths, rates]


def _write_object(stream: IO[str], content: dict[str, Any]) -> None:
    """``content`` as ``json.dumps(..., indent=1)`` writes it, with each generator value written as a list item by item."""
    stream.write("{")
    for index, (key, value) in enumerate(content.items()):
        stream.write(("\n " if index == 0 else ",\n ") + json.dumps(key) + ": ")
        if isinstance(value, (dict, list, str, int, float, type(None))):
            stream.write(_dumped(value, 1))
        else:
            _write_list(stream, value)
    stream.write("\n}" if content else "}")


def _write_list(stream: IO[str], items: Iterable[Any]) -> None:
    written = False
    for item in items:
        stream.write(("[\n  " if not written else ",\n  ") + _dumped(item, 2))
        written = True
    stream.write("\n ]" if written else "[]")


def _dumped(value: Any, level: int) -> str:
    # A JSON text holds no raw newline inside a string, so every newline starts an indented line.
    return json.dumps(value, ensure_ascii=False, indent=1).replace("\n", "\n" + " " * level)
