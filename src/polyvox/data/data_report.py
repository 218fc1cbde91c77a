"""Clips left out of training because their data is bad, each with its reason, written to the run folder."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from polyvox.files import atomic_path

REPORT_FILE = "data_report.json"

# Reasons (the report counts clips per reason).
MISSING_FILE = "missing audio file"
UNREADABLE = "unreadable or truncated audio"
EMPTY = "empty audio"
SILENT = "silent audio"
TOO_LONG = "longer than training.max_clip_s"
UNREADABLE_TEXT = "text cannot be phonemized"
DURATION_MISMATCH = "duration does not match the text"


@dataclass(frozen=True)
class SkippedClip:
    audio: str
    reason: str
    detail: str = ""


@dataclass(frozen=True)
class DataReport:
    """What preparation did with the manifest: how many clips it had, and which were skipped and why."""

    manifest: str
    clips_in_manifest: int
    skipped: list[SkippedClip] = field(default_factory=list)
    # Clips below the model's minimum input: padded (kept) or dropped, by training.short_clip_policy.
    short_clips: list[dict[str, object]] = field(default_factory=list)
    # Per language, the phonemes of its inventory the training clips have and lack (polyvox.data.coverage).
    phoneme_coverage: dict[str, Any] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return dict(Counter(clip.reason for clip in self.skipped))

    def summary(self) -> str:
        if not self.skipped:
            return f"data: all {self.clips_in_manifest} clips of {self.manifest} are usable"
        reasons = ", ".join(f"{count} {reason}" for reason, count in sorted(self.counts().items()))
        return f"data: skipped {len(self.skipped)} of {self.clips_in_manifest} clips of {self.manifest} ({reasons})"

    def write(self, run_dir: Path) -> Path:
        path = Path(run_dir) / REPORT_FILE
        content = {
            "manifest": self.manifest,
            "clips_in_manifest": self.clips_in_manifest,
            "clips_used": self.clips_in_manifest - len(self.skipped),
            "skipped_per_reason": self.counts(),
            "skipped": [asdict(clip) for clip in self.skipped],
            "short_clips": self.short_clips,
            "phoneme_coverage": self.phoneme_coverage,
        }
        with atomic_path(path) as temporary:
            temporary.write_text(json.dumps(content, ensure_ascii=False, indent=1), encoding="utf-8")
        return path
