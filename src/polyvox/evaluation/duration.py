"""Duration ratio: how much longer (> 1) or shorter (< 1) the synthesized clip is than its reference."""

from __future__ import annotations


def duration_ratio(reference_s: float, synthesized_s: float) -> float:
    """Synthesized / reference duration, both measured after trimming silence at the ends."""
    if reference_s <= 0:
        raise ValueError("the reference clip has no duration")
    return synthesized_s / reference_s
