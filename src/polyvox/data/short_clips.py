"""Clips too short for the model (or for alignment) are padded with silence or dropped, and reported."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from polyvox.data.dataset import EncodedUtterance
from polyvox.text.symbols import PAD_ID

# Clip names shown in a report line; the count is always complete.
REPORTED_NAMES = 5


@dataclass(frozen=True)
class ShortClip:
    audio: str
    frames: int
    required_frames: int


@dataclass(frozen=True)
class ShortClipReport:
    policy: str
    minimum_frames: int
    clips: list[ShortClip] = field(default_factory=list)

    def describe(self) -> str:
        action = "padded with silence to" if self.policy == "pad" else "dropped, being shorter than"
        names = ", ".join(f"{Path(c.audio).name} ({c.frames} < {c.required_frames} frames)" for c in self.clips[:REPORTED_NAMES])
        more = f" and {len(self.clips) - REPORTED_NAMES} more" if len(self.clips) > REPORTED_NAMES else ""
        return (
            f"{len(self.clips)} short clip(s) {action} the model minimum ({self.minimum_frames} frames) or, without "
            f"known durations, one frame per non-blank token (training.short_clip_policy={self.policy!r}): {names}{more}"
        )


def required_frames(item: EncodedUtterance, minimum_frames: int) -> int:
    """Frames a clip needs: the model's minimum and, when alignment search must place its tokens,
    one frame per non-blank token."""
    if item.durations is not None:
        return minimum_frames
    return max(minimum_frames, sum(1 for phoneme_id in item.phoneme_ids if phoneme_id != PAD_ID))


def apply_short_clip_policy(
    items: list[EncodedUtterance], minimum_frames: int, policy: str
) -> tuple[list[EncodedUtterance], ShortClipReport]:
    """``pad``: short items are marked to be padded with silence when loaded (their known durations,
    which no longer add up, are dropped so alignment search places the tokens). ``drop``: left out."""
    if policy not in ("pad", "drop"):
        raise ValueError(f"short clip policy must be 'pad' or 'drop', got {policy!r}")
    kept: list[EncodedUtterance] = []
    short: list[ShortClip] = []
    for item in items:
        needed = required_frames(item, minimum_frames)
        if item.frames >= needed:
            kept.append(item)
            continue
        if policy == "pad" and item.durations is not None:
            # Without its durations the item must also give every non-blank token a frame.
            needed = required_frames(dataclasses.replace(item, durations=None), minimum_frames)
        short.append(ShortClip(item.utterance.audio, item.frames, needed))
        if policy == "pad":
            kept.append(dataclasses.replace(item, durations=None, padded_frames=needed))
    return kept, ShortClipReport(policy, minimum_frames, short)
