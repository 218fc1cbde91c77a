"""Duration ratio: how much longer (> 1) or shorter (< 1) the synthesized clip is than its recording."""

from __future__ import annotations


def duration_ratio(recording_s: float, synthesized_s: float) -> float:
    """Synthesized / recorded duration, both measured after trimming silence at the ends."""
    if recording_s <= 0:
        raise ValueError("the recording has no duration")
    return synthesized_s / recording_s
