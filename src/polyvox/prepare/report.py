"""What preparation did, written beside the manifest (``prepare_report.json`` and two histograms)
and summarised on one screen."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from polyvox.prepare.clip_place import ClipPlace
from polyvox.prepare.clip_store import ClipStore

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
    """What a run did, as counts gathered while its records stream past (``add_recording``, ``add_clip``); the
    records themselves stay in the run's clip store (``store_path``), from which ``clips`` and ``unusable`` read."""

    input: str
    manifest: str
    flagged_policy: str
    settings: dict[str, Any]
    recordings: int
    reused: int
    store_path: Path
    steps: Counter[str] = field(default_factory=Counter)
    # Per step, its first few distinct details: the terminal shows them when there are few kinds.
    step_details: dict[str, list[str]] = field(default_factory=dict)
    unusable_reasons: Counter[str] = field(default_factory=Counter)
    clips_written: int = 0
    clips_in_manifest: int = 0
    duration_in_manifest_s: float = 0.0
    flagged_kept: int = 0
    clip_reasons: Counter[str] = field(default_factory=Counter)
    groups: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    # Per language, the phonemes of its inventory the kept clips have and lack (polyvox.data.coverage).
    phoneme_coverage: dict[str, Any] = field(default_factory=dict)

    def add_recording(self, steps: dict[str, str], problem: str | None) -> None:
        self.steps.update(steps.keys())
        for step, detail in steps.items():
            details = self.step_details.setdefault(step, [])
            if detail not in details and len(details) <= SUMMARY_DETAILS:
                details.append(detail)
        if problem:
            self.unusable_reasons[problem] += 1

    def add_clip(self, clip: ClipOutcome) -> None:
        self.clips_written += 1
        self.clip_reasons.update(reason["reason"] for reason in clip.reasons)
        self.flagged_kept += clip.action == FLAGGED_KEPT
        group = self.groups.setdefault((clip.speaker, clip.language), {"clips": 0, "duration_s": 0.0, "dropped": 0})
        if clip.in_manifest:
            self.clips_in_manifest += 1
            self.duration_in_manifest_s += clip.duration
            group["clips"] += 1
            group["duration_s"] += clip.duration
        else:
            group["dropped"] += 1

    @property
    def clips(self) -> list[ClipOutcome]:
        """Every clip's outcome, read from the run's store: for a corpus too large to hold, the counts above
        (or ``ClipStore.outcomes``) serve."""
        store = ClipStore(self.store_path, fresh=False)
        try:
            return [ClipOutcome(**outcome) for outcome in store.outcomes()]
        finally:
            store.close()

    @property
    def unusable(self) -> list[UnusableRecording]:
        store = ClipStore(self.store_path, fresh=False)
        try:
            return [UnusableRecording(row.source, row.problem, row.detail) for row in store.recordings() if row.problem]
        finally:
            store.close()

    def _step_line(self) -> str:
        parts = []
        for step, count in sorted(self.steps.items()):
            details = self.step_details[step]
            shown = f" ({', '.join(details)})" if len(details) <= SUMMARY_DETAILS else ""
            parts.append(f"{step} {count}{shown}")
        return ", ".join(parts) or "none"

    def reasons(self) -> Counter[str]:
        return self.clip_reasons + self.unusable_reasons

    def per_speaker_language(self) -> list[dict[str, Any]]:
        return [
            {"speaker": speaker, "language": language, **values, "duration_s": round(values["duration_s"], 2)}
            for (speaker, language), values in sorted(self.groups.items())
        ]

    def summary(self) -> str:
        lines = [
            f"prepared {self.recordings} recording(s) ({self.reused} reused from an earlier run) -> {self.manifest}",
            f"  steps: {self._step_line()}",
            f"  clips: {self.clips_written} written, {self.clips_in_manifest} in the manifest ({self.duration_in_manifest_s / 60:.1f} min), "
            f"{self.clips_written - self.clips_in_manifest} dropped, {self.flagged_kept} flagged and kept (--flagged {self.flagged_policy})",
        ]
        unusable = sum(self.unusable_reasons.values())
        if unusable:
            lines.append(f"  unusable recordings: {unusable}")
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
