"""What preparation did, written beside the manifest (``prepare_report.json`` and two histograms)
and summarised on one screen."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from polyvox.files import atomic_path
from polyvox.prepare.clip_place import ClipPlace
from polyvox.prepare.histograms import write_histogram

REPORT_FILE = "prepare_report.json"
LENGTH_HISTOGRAM = "clip_lengths.png"
RATE_HISTOGRAM = "speaking_rates.png"
# Rows of the speaker/language table shown in the terminal; the JSON has them all.
SUMMARY_ROWS = 12
# A step's details (e.g. "44100 -> 22050 Hz") are shown in the terminal when there are at most this many kinds.
SUMMARY_DETAILS = 2

KEPT = "kept"
FLAGGED_KEPT = "flagged, kept"
DROPPED = "dropped"


@dataclass(frozen=True)
class ClipOutcome(ClipPlace):
    phonemes_per_second: float | None
    action: str
    reasons: list[dict[str, str]] = field(default_factory=list)

    @property
    def in_manifest(self) -> bool:
        return self.action != DROPPED


@dataclass(frozen=True)
class UnusableRecording:
    source: str
    reason: str
    detail: str


@dataclass(frozen=True)
class RecordingSteps:
    """What was done to one recording: step -> detail, and how many clips it gave."""

    source: str
    steps: dict[str, str]
    clips: int


@dataclass
class PrepareReport:
    input: str
    manifest: str
    flagged_policy: str
    settings: dict[str, Any]
    recordings: int
    reused: int
    recording_steps: list[RecordingSteps]
    unusable: list[UnusableRecording]
    clips: list[ClipOutcome]
    # Per language, the phonemes of its inventory the kept clips have and lack (polyvox.data.coverage).
    phoneme_coverage: dict[str, Any] = field(default_factory=dict)

    @property
    def steps(self) -> Counter[str]:
        """How many recordings went through each step."""
        return Counter(step for recording in self.recording_steps for step in recording.steps)

    def _step_line(self) -> str:
        parts = []
        for step, count in sorted(self.steps.items()):
            details = Counter(r.steps[step] for r in self.recording_steps if step in r.steps)
            shown = f" ({', '.join(details)})" if len(details) <= SUMMARY_DETAILS else ""
            parts.append(f"{step} {count}{shown}")
        return ", ".join(parts) or "none"

    def reasons(self) -> Counter[str]:
        return Counter(reason["reason"] for clip in self.clips for reason in clip.reasons) + Counter(
            item.reason for item in self.unusable
        )

    def per_speaker_language(self) -> list[dict[str, Any]]:
        groups: dict[tuple[str, str], dict[str, Any]] = defaultdict(lambda: {"clips": 0, "duration_s": 0.0, "dropped": 0})
        for clip in self.clips:
            group = groups[(clip.speaker, clip.language)]
            if clip.in_manifest:
                group["clips"] += 1
                group["duration_s"] += clip.duration
            else:
                group["dropped"] += 1
        return [
            {"speaker": speaker, "language": language, **values, "duration_s": round(values["duration_s"], 2)}
            for (speaker, language), values in sorted(groups.items())
        ]

    def write(self, folder: Path) -> list[Path]:
        kept = [clip for clip in self.clips if clip.in_manifest]
        dropped = [clip for clip in self.clips if not clip.in_manifest]
        lengths = write_histogram(
            folder / LENGTH_HISTOGRAM,
            [c.duration for c in kept],
            [c.duration for c in dropped],
            "clip length (s)",
            "Clip lengths",
        )
        rates = write_histogram(
            folder / RATE_HISTOGRAM,
            [c.phonemes_per_second for c in kept if c.phonemes_per_second is not None],
            [c.phonemes_per_second for c in dropped if c.phonemes_per_second is not None],
            "phonemes per second",
            "Speaking rates",
        )
        content = {
            "input": self.input,
            "manifest": self.manifest,
            "flagged_policy": self.flagged_policy,
            "settings": self.settings,
            "recordings": self.recordings,
            "recordings_reused": self.reused,
            "steps": dict(self.steps),
            "recording_steps": [asdict(recording) for recording in self.recording_steps],
            "clips_written": len(self.clips),
            "clips_in_manifest": len(kept),
            "duration_in_manifest_s": round(sum(c.duration for c in kept), 2),
            "per_speaker_language": self.per_speaker_language(),
            "reasons": dict(self.reasons()),
            "unusable_recordings": [asdict(item) for item in self.unusable],
            "flagged_or_dropped": [asdict(clip) for clip in self.clips if clip.reasons],
            "phoneme_coverage": self.phoneme_coverage,
            "histograms": [lengths.name, rates.name],
        }
        path = folder / REPORT_FILE
        with atomic_path(path) as temporary:
            temporary.write_text(json.dumps(content, ensure_ascii=False, indent=1), encoding="utf-8")
        return [path, lengths, rates]

    def summary(self) -> str:
        kept = [clip for clip in self.clips if clip.in_manifest]
        flagged_kept = sum(clip.action == FLAGGED_KEPT for clip in self.clips)
        lines = [
            f"prepared {self.recordings} recording(s) ({self.reused} reused from an earlier run) -> {self.manifest}",
            f"  steps: {self._step_line()}",
            f"  clips: {len(self.clips)} written, {len(kept)} in the manifest ({sum(c.duration for c in kept) / 60:.1f} min), "
            f"{len(self.clips) - len(kept)} dropped, {flagged_kept} flagged and kept (--flagged {self.flagged_policy})",
        ]
        if self.unusable:
            lines.append(f"  unusable recordings: {len(self.unusable)}")
        reasons = self.reasons()
        if reasons:
            lines.append("  problems: " + ", ".join(f"{count} {reason}" for reason, count in reasons.most_common()))
        rows = self.per_speaker_language()
        lines.append(f"  {'speaker':<20} {'language':<8} {'clips':>6} {'minutes':>8} {'dropped':>8}")
        for row in rows[:SUMMARY_ROWS]:
            minutes = row["duration_s"] / 60
            lines.append(f"  {row['speaker'][:20]:<20} {row['language']:<8} {row['clips']:>6} {minutes:>8.1f} {row['dropped']:>8}")
        if len(rows) > SUMMARY_ROWS:
            lines.append(f"  ... and {len(rows) - SUMMARY_ROWS} more speaker/language pairs")
        for language, coverage in self.phoneme_coverage.items():
            if coverage["missing_phonemes"]:
                missing = ", ".join(coverage["missing_phonemes"])
                lines.append(f"  {language}: no clip has the phoneme(s) {missing} ({coverage['phonemes_covered']}/{coverage['phonemes']})")
        lines.append(f"  report: {Path(self.manifest).parent / REPORT_FILE} (every flagged clip with its reason)")
        return "\n".join(lines)
