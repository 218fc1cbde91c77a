"""Where a streamed sentence is cut: window sizes and each window's context (no torch, for both engines).

Each window of a sentence's latent is decoded with the flow's and the decoder's receptive field of
context on both sides, so the joined windows equal decoding the whole sentence. The first window of a
stream is short so that audio starts early whatever the length of the text; later windows double up
to a largest size, so the audio already handed out grows faster than the time the next window takes.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

# 16 frames (0.19 s at 22.05 kHz with hop 256): small enough that the first audio comes well under
# 100 ms on one CPU thread for the small preset, large enough that context is not most of the work.
FIRST_CHUNK_FRAMES = 16
# Past this size the context (~40 flow and ~20 decoder frames for the small preset) costs under a fifth.
MAX_CHUNK_FRAMES = 128


class SideReach(Protocol):
    """Frames of context needed before (``left``) and after (``right``) a position."""

    @property
    def left(self) -> int: ...

    @property
    def right(self) -> int: ...


class WindowContext(Protocol):
    """The flow's and the decoder's reach (``polyvox.models.receptive_field.LatentContext`` is one)."""

    @property
    def flow(self) -> SideReach: ...

    @property
    def decoder(self) -> SideReach: ...


class ChunkSchedule:
    """Window sizes in latent frames across a whole stream: ``first``, then doubling up to ``largest``."""

    def __init__(self, first: int = FIRST_CHUNK_FRAMES, largest: int = MAX_CHUNK_FRAMES) -> None:
        if first < 1 or largest < first:
            raise ValueError(f"chunk sizes must satisfy 1 <= first <= largest, got first={first}, largest={largest}")
        self.first = first
        self.largest = largest
        self._next = first

    def take(self) -> int:
        size = self._next
        self._next = min(2 * size, self.largest)
        return size


@dataclass(frozen=True)
class LatentWindow:
    """Frames ``[start, end)`` of a sentence's latent, with the ranges the flow and the decoder read for them."""

    start: int
    end: int
    decoder_start: int
    decoder_end: int
    flow_start: int
    flow_end: int


def plan_windows(frames: int, context: WindowContext, schedule: ChunkSchedule) -> Iterator[LatentWindow]:
    """Windows covering ``frames`` latent frames in order; their context is cut at the sentence's ends,
    where whole-sentence decoding sees the same zero padding."""
    start = 0
    while start < frames:
        end = min(frames, start + schedule.take())
        if frames - end < schedule.first:  # a remainder this short joins the window rather than paying full context
            end = frames
        decoder_start = max(0, start - context.decoder.left)
        decoder_end = min(frames, end + context.decoder.right)
        yield LatentWindow(
            start=start,
            end=end,
            decoder_start=decoder_start,
            decoder_end=decoder_end,
            flow_start=max(0, decoder_start - context.flow.left),
            flow_end=min(frames, decoder_end + context.flow.right),
        )
        start = end


class SourcePhase:
    """A harmonic source's phase (cycles, float64) where the next streamed window starts, moved on by each window's own
    frames of F0 (cycles per sample), so the windows' sines join as the whole sentence's. Both engines carry one."""

    def __init__(self) -> None:
        self.cycles = 0.0

    def advance(self, f0: Sequence[float], samples_per_frame: int) -> None:
        self.cycles += float(np.sum(np.asarray(f0, dtype=np.float64))) * samples_per_frame
