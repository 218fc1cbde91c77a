"""Duplicated audio: clips of nearly equal length whose loudness envelopes match (the same take
copied, re-encoded or resampled). The later clip, in input order, is the duplicate."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from polyvox.prepare.source_processing import ENVELOPE_FRAME_S, ClipRecord

# Two clips are compared only when their lengths differ by at most this share (plus one envelope frame).
LENGTH_TOLERANCE = 0.02
# Envelopes this short (0.2 s) carry too little shape to call two clips the same.
MIN_ENVELOPE_FRAMES = 10


def find_duplicates(clips: Sequence[ClipRecord], min_correlation: float) -> dict[int, int]:
    """``{index of duplicate: index of the clip it repeats}``."""
    order = sorted(range(len(clips)), key=lambda index: clips[index].duration)
    duplicates: dict[int, int] = {}
    for position, first in enumerate(order):
        limit = clips[first].duration * (1 + LENGTH_TOLERANCE) + ENVELOPE_FRAME_S
        for second in order[position + 1 :]:
            if clips[second].duration > limit:
                break
            if _same_envelope(clips[first].envelope, clips[second].envelope, min_correlation):
                original, copy = sorted((first, second))
                duplicates.setdefault(copy, duplicates.get(original, original))
    return duplicates


def _same_envelope(first: Sequence[float], second: Sequence[float], min_correlation: float) -> bool:
    length = min(len(first), len(second))
    if length < MIN_ENVELOPE_FRAMES:
        return False
    a, b = np.asarray(first[:length]), np.asarray(second[:length])
    if a.std() == 0 or b.std() == 0:
        return False
    return float(np.corrcoef(a, b)[0, 1]) >= min_correlation
