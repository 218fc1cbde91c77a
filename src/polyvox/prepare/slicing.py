"""Cutting a recording's speech regions into clips within the length range: long regions are split
at their longest inner pause (or, without one, at their quietest frame), short ones joined to a
neighbour, and each clip keeps a little silence on either side."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from polyvox.prepare.voice_activity import FRAME_S, Span, VoiceActivity, runs

# (first piece, end piece): the pieces[first:end] that make one clip.
PieceRange = tuple[int, int]


@dataclass(frozen=True)
class Pieces:
    spans: list[Span]
    # Cuts made without any pause to cut at (inside continuous speech).
    forced_cuts: int


def split_long(regions: list[Span], activity: VoiceActivity, max_s: float) -> Pieces:
    """Every region longer than ``max_s`` split until none is."""
    pieces: list[Span] = []
    forced = 0
    pending = list(reversed(regions))
    while pending:
        region = pending.pop()
        if region.duration_s <= max_s:
            pieces.append(region)
            continue
        halves, was_forced = _split_once(region, activity, max_s)
        forced += was_forced
        pending.extend(reversed(halves))
    return Pieces(pieces, forced)


def _split_once(region: Span, activity: VoiceActivity, max_s: float) -> tuple[list[Span], bool]:
    first, end = activity.frame_of(region.start_s), activity.frame_of(region.end_s)
    gaps = [(first + a, first + b) for a, b in runs(~activity.speech[first:end]) if a > 0 and first + b < end]
    if gaps:
        def fits(gap: tuple[int, int]) -> bool:
            return (gap[0] - first) * FRAME_S <= max_s and (end - gap[1]) * FRAME_S <= max_s

        # The longest pause that leaves both halves short enough, else the longest pause.
        gap = max(gaps, key=lambda g: (fits(g), g[1] - g[0]))
        return [Span(region.start_s, gap[0] * FRAME_S), Span(gap[1] * FRAME_S, region.end_s)], False
    # Continuous speech: cut at the quietest frame of the middle half.
    quarter = max(1, (end - first) // 4)
    middle = activity.frame_energy()[first + quarter : end - quarter]
    cut = first + quarter + int(np.argmin(middle)) if middle.size else (first + end) // 2
    return [Span(region.start_s, cut * FRAME_S), Span(cut * FRAME_S, region.end_s)], True


def merge_short(pieces: list[Span], min_s: float, max_s: float) -> list[PieceRange]:
    """Pieces grouped so that each group lasts at least ``min_s`` where joining a neighbour (across
    the shorter pause) keeps it within ``max_s``."""
    groups: list[PieceRange] = [(index, index + 1) for index in range(len(pieces))]

    def span(group: PieceRange) -> float:
        return pieces[group[1] - 1].end_s - pieces[group[0]].start_s

    changed = True
    while changed:
        changed = False
        for index, group in enumerate(groups):
            if span(group) >= min_s:
                continue
            options = []
            if index > 0:
                options.append((pieces[group[0]].start_s - pieces[group[0] - 1].end_s, index - 1))
            if index + 1 < len(groups):
                options.append((pieces[group[1]].start_s - pieces[group[1] - 1].end_s, index + 1))
            for _, neighbour in sorted(options):
                joined = (min(group[0], groups[neighbour][0]), max(group[1], groups[neighbour][1]))
                if span(joined) <= max_s:
                    low, high = sorted((index, neighbour))
                    groups[low : high + 1] = [joined]
                    changed = True
                    break
            if changed:
                break
    return groups


def clip_spans(pieces: list[Span], groups: list[PieceRange], duration_s: float, keep_s: float, trim: bool) -> list[Span]:
    """Where each group is cut from the recording: its speech plus ``keep_s`` of silence each side
    (never past the middle of the pause to its neighbour), or, without trimming, up to those middles."""
    speech = [Span(pieces[first].start_s, pieces[end - 1].end_s) for first, end in groups]
    clips = []
    for index, span in enumerate(speech):
        low = (speech[index - 1].end_s + span.start_s) / 2 if index > 0 else 0.0
        high = (span.end_s + speech[index + 1].start_s) / 2 if index + 1 < len(speech) else duration_s
        if trim:
            low, high = max(low, span.start_s - keep_s), min(high, span.end_s + keep_s)
        clips.append(Span(max(0.0, low), min(duration_s, high)))
    return clips
