"""Duplicated audio: clips of nearly equal length whose loudness envelopes match (the same take
copied, re-encoded or resampled). The later clip, in input order, is the duplicate."""

from __future__ import annotations

import bisect
from collections.abc import Sequence

import numpy as np

from polyvox.prepare.source_processing import ENVELOPE_FRAME_S, ClipRecord

# Two clips are compared only when their lengths differ by at most this share (plus one envelope frame).
LENGTH_TOLERANCE = 0.02
# Envelopes this short (0.2 s) carry too little shape to call two clips the same.
MIN_ENVELOPE_FRAMES = 10


def find_duplicates(clips: Sequence[ClipRecord], min_correlation: float) -> dict[int, int]:
    """``{index of duplicate: index of the clip it repeats}``. Each clip is correlated with all the longer clips
    of nearly its length at once: on a large corpus that window holds hundreds of clips."""
    order = sorted(range(len(clips)), key=lambda index: clips[index].duration)
    durations = [clips[index].duration for index in order]
    duplicates: dict[int, int] = {}
    for position, first in enumerate(order):
        limit = clips[first].duration * (1 + LENGTH_TOLERANCE) + ENVELOPE_FRAME_S
        end = bisect.bisect_right(durations, limit, lo=position + 1)
        for second in _matching(clips, first, order[position + 1 : end], min_correlation):
            original, copy = sorted((first, second))
            duplicates.setdefault(copy, duplicates.get(original, original))
    return duplicates


def _matching(clips: Sequence[ClipRecord], first: int, candidates: list[int], min_correlation: float) -> list[int]:
    """The candidates whose envelope, over the length both have, correlates with ``first``'s at least ``min_correlation``."""
    reference = np.asarray(clips[first].envelope, dtype=np.float64)
    by_length: dict[int, list[int]] = {}
    for candidate in candidates:
        length = min(reference.size, len(clips[candidate].envelope))
        if length >= MIN_ENVELOPE_FRAMES:
            by_length.setdefault(length, []).append(candidate)
    found = []
    for length, group in by_length.items():
        a = reference[:length] - reference[:length].mean()
        b = np.stack([np.asarray(clips[index].envelope[:length], dtype=np.float64) for index in group])
        b -= b.mean(axis=1, keepdims=True)
        norms = np.linalg.norm(b, axis=1) * np.linalg.norm(a)
        with np.errstate(invalid="ignore", divide="ignore"):
            correlation = (b @ a) / norms
        # A flat envelope (zero norm) matches nothing, as before.
        found += [index for index, value, norm in zip(group, correlation, norms) if norm > 0 and value >= min_correlation]
    return sorted(found, key=candidates.index)
