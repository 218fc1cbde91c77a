"""The listener's figures per system and group (language, speaker): pooled error rates and DNSMOS means."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

from polyvox.evaluation.aggregate import MetricSummary, summarize
from polyvox.evaluation.error_rate import EditCounts, pooled
from polyvox.evaluation.listener import RECORDINGS_SYSTEM, HeardClip
from polyvox.evaluation.transcript_normalize import UNSPACED_UNITS

DNSMOS_METRICS = ("dnsmos_sig", "dnsmos_bak", "dnsmos_ovrl")
# Table columns: (heading, key in ListenerSummary.cells()).
COLUMNS = (("CER", "cer"), ("WER", "wer"), ("DNSMOS SIG", "dnsmos_sig"), ("DNSMOS BAK", "dnsmos_bak"), ("DNSMOS OVRL", "dnsmos_ovrl"))


@dataclass(frozen=True)
class ListenerSummary:
    """One system's clips of one group. Rates are pooled: all errors over all units of the expected sentences."""

    clips: int
    characters: EditCounts | None
    words: EditCounts | None
    dnsmos: dict[str, MetricSummary]

    @property
    def cer(self) -> float:
        return self.characters.rate if self.characters is not None else math.nan

    @property
    def wer(self) -> float:
        return self.words.rate if self.words is not None else math.nan

    def cells(self) -> dict[str, float]:
        return {"cer": self.cer, "wer": self.wer, **{name: self.dnsmos[name].mean for name in DNSMOS_METRICS}}

    def to_dict(self) -> dict[str, Any]:
        return {
            "clips": self.clips,
            "cer": None if math.isnan(self.cer) else self.cer,
            "wer": None if math.isnan(self.wer) else self.wer,
            "character_counts": asdict(self.characters) if self.characters is not None else None,
            "word_counts": asdict(self.words) if self.words is not None else None,
            **{name: summary.to_dict() for name, summary in self.dnsmos.items()},
        }


ListenerSummaries = dict[str, dict[str, ListenerSummary]]  # system -> group -> summary


def summarize_clips(clips: list[HeardClip]) -> ListenerSummary:
    characters = [clip.hearing.characters for clip in clips if clip.hearing.characters is not None]
    words = [clip.hearing.words for clip in clips if clip.hearing.words is not None]
    return ListenerSummary(
        clips=len(clips),
        characters=pooled(characters) if characters else None,
        words=pooled(words) if words else None,
        dnsmos={name: summarize(getattr(clip.hearing, name) for clip in clips) for name in DNSMOS_METRICS},
    )


def summarize_heard(heard: Iterable[HeardClip], group_of: Callable[[HeardClip], str]) -> ListenerSummaries:
    """Per system (the recordings first) and per group."""
    grouped: dict[str, dict[str, list[HeardClip]]] = {}
    for clip in sorted(heard, key=lambda clip: clip.system != RECORDINGS_SYSTEM):
        grouped.setdefault(clip.system, {}).setdefault(group_of(clip), []).append(clip)
    return {system: {group: summarize_clips(clips) for group, clips in groups.items()} for system, groups in grouped.items()}


def _format(value: float, key: str) -> str:
    if math.isnan(value):
        return "n/a"
    return f"{value:.3f}" if key in ("cer", "wer") else f"{value:.2f}"


def markdown_table(summaries: ListenerSummaries, group_name: str) -> list[str]:
    lines = [
        f"| {group_name} | system | n | " + " | ".join(heading for heading, _ in COLUMNS) + " |",
        "|---|---|---:|" + "---:|" * len(COLUMNS),
    ]
    groups = list(dict.fromkeys(group for system_groups in summaries.values() for group in system_groups))
    for group in groups:
        for system, system_groups in summaries.items():
            if group in system_groups:
                cells = system_groups[group].cells()
                values = " | ".join(_format(cells[key], key) for _, key in COLUMNS)
                lines.append(f"| {group} | {system} | {system_groups[group].clips} | {values} |")
    return lines


def terminal_table(summaries: ListenerSummaries) -> str:
    """One line per language and system (the recordings' own figures on the ``recordings`` line)."""
    width = max(len(system) for system in summaries)
    lines = [f"{'language':8}  {'system':{width}}  {'n':>3}  " + "  ".join(f"{heading:>11}" for heading, _ in COLUMNS)]
    languages = list(dict.fromkeys(language for groups in summaries.values() for language in groups))
    for language in languages:
        for system, groups in summaries.items():
            if language in groups:
                cells = groups[language].cells()
                values = "  ".join(f"{_format(cells[key], key):>11}" for _, key in COLUMNS)
                lines.append(f"{language:8}  {system:{width}}  {groups[language].clips:>3}  {values}")
    return "\n".join(lines)


def units_note(languages: Iterable[str]) -> str:
    """What CER counts in each unspaced language present."""
    notes = [f"{language}: {unit}s" for language, unit in UNSPACED_UNITS.items() if language in set(languages)]
    return "CER counts characters" + (f" ({'; '.join(notes)})" if notes else "") + "; WER only where words are spaced."


def heard_dict(clip: HeardClip) -> dict[str, Any]:
    hearing = clip.hearing
    return {
        "id": clip.utterance_id, "system": clip.system, "language": clip.language, "speaker": clip.speaker,
        "text": clip.text, "transcript": hearing.transcript, "expected": hearing.expected, "heard": hearing.heard,
        "cer": hearing.characters.rate if hearing.characters is not None else None,
        "wer": hearing.words.rate if hearing.words is not None else None,
        **{name: None if math.isnan(getattr(hearing, name)) else getattr(hearing, name) for name in DNSMOS_METRICS},
    }
