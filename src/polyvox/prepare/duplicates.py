"""Duplicated audio: clips of nearly equal length whose loudness envelopes match (the same take
copied, re-encoded or resampled). The later clip, in input order, is the duplicate."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import TypeVar

import numpy as np

from polyvox.prepare.source_processing import ENVELOPE_FRAME_S, ClipRecord

# Two clips are compared only when their lengths differ by at most this share (plus one envelope frame).
LENGTH_TOLERANCE = 0.02
# Envelopes this short (0.2 s) carry too little shape to call two clips the same.
MIN_ENVELOPE_FRAMES = 10

Key = TypeVar("Key", bound=Hashable)


def find_duplicates(clips: Sequence[ClipRecord], min_correlation: float) -> dict[int, int]:
    """``{index of duplicate: index of the clip it repeats}`` among clips held in memory."""
    order = sorted(range(len(clips)), key=lambda index: clips[index].duration)
    return duplicates_in_order(((index, clips[index].duration) for index in order), lambda index: clips[index].envelope, min_correlation)


def duplicates_in_order(
    by_duration: Iterable[tuple[Key, float]], envelope_of: Callable[[Key], Sequence[float]], min_correlation: float
) -> dict[Key, Key]:
    """``{duplicate: the clip it repeats}`` from every clip's key and length, shortest first (equal lengths in
    input order; keys compare in input order). Each clip is correlated with all the longer clips of nearly its
    length at once; only that window's envelopes are held (read by ``envelope_of``), never the corpus's."""
    stream = iter(by_duration)
    upcoming = next(stream, None)
    window: deque[tuple[Key, float, np.ndarray]] = deque()
    duplicates: dict[Key, Key] = {}
    while window or upcoming is not None:
        if not window:
            assert upcoming is not None
            window.append((upcoming[0], upcoming[1], _envelope(envelope_of, upcoming[0])))
            upcoming = next(stream, None)
        first, duration, reference = window.popleft()
        limit = duration * (1 + LENGTH_TOLERANCE) + ENVELOPE_FRAME_S
        # Lengths only grow, so every clip already in the window is within this limit too.
        while upcoming is not None and upcoming[1] <= limit:
            window.append((upcoming[0], upcoming[1], _envelope(envelope_of, upcoming[0])))
            upcoming = next(stream, None)
        for second in _matching(reference, [(key, envelope) for key, _, envelope in window], min_correlation):
            original, copy = sorted((first, second))  # type: ignore[type-var]
            duplicates.setdefault(copy, duplicates.get(original, original))
    return duplicates


def _envelope(envelope_of: Callable[[Key], Sequence[float]], key: Key) -> np.ndarray:
    return np.asarray(envelope_of(key), dtype=np.float32)


def _matching(reference: np.ndarray, candidates: list[tuple[Key, np.ndarray]], min_correlation: float) -> list[Key]:
    """The candidates whose envelope, over the length both have, correlates with ``reference`` at least ``min_correlation``."""
    by_length: dict[int, list[int]] = {}
    for position, (_, envelope) in enumerate(candidates):
        length = min(reference.size, envelope.size)
        if length >= MIN_ENVELOPE_FRAMES:
            by_length.setdefault(length, []).append(position)
    found = []
    for length, group in by_length.items():
        a = reference[:length].astype(np.float64)
        a -= a.mean()
        b = np.stack([candidates[position][1][:length].astype(np.float64) for position in group])
        b -= b.mean(axis=1, keepdims=True)
        norms = np.linalg.norm(b, axis=1) * np.linalg.norm(a)
        with np.errstate(invalid="ignore", divide="ignore"):
            correlation = (b @ a) / norms
        # A flat envelope (zero norm) matches nothing, as before.
        found += [position for position, value, norm in zip(group, correlation, norms) if norm > 0 and value >= min_correlation]
    return [candidates[position][0] for position in sorted(found)]
