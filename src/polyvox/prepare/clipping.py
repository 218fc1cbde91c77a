"""Clipped samples of a recording, counted per short bin as its blocks are read, so that a clip's
share of full-scale samples can be looked up by time."""

from __future__ import annotations

import numpy as np

# A sample this close to full scale, in any channel, counts as clipped.
CLIP_LEVEL = 0.99
# Clipped samples are counted per bin of this length.
CLIP_BIN_S = 0.01


class ClipCounter:
    """Full-scale samples (any channel) per ``CLIP_BIN_S`` bin of the original recording, block by block
    (blocks of any length: a bin may straddle two)."""

    def __init__(self, rate: int) -> None:
        self.bin_size = max(1, int(round(rate * CLIP_BIN_S)))
        self.frames = 0
        self._parts: list[tuple[int, np.ndarray]] = []  # (first bin, counts from there), blocks with clipping only

    def add(self, block: np.ndarray) -> None:
        """Count one ``(frames, channels)`` block."""
        clipped = np.zeros(block.shape[0], dtype=bool)
        # Channel by channel, two comparisons: numpy reduces slowly along a short inner axis, and np.abs copies.
        for channel in range(block.shape[1]):
            column = block[:, channel]
            clipped |= column >= CLIP_LEVEL
            clipped |= column <= -CLIP_LEVEL
        hits = np.flatnonzero(clipped)
        if hits.size:
            first = self.frames // self.bin_size
            self._parts.append((first, np.bincount((self.frames + hits) // self.bin_size - first)))
        self.frames += block.shape[0]

    def per_bin(self) -> np.ndarray:
        counts = np.zeros(-(-self.frames // self.bin_size), dtype=np.int32)
        for first, part in self._parts:
            counts[first : first + part.size] += part.astype(np.int32)
        return counts
