"""Where a prepared clip comes from: the fields a clip's record and its report entry share."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ClipPlace:
    audio: str  # the clip's file
    source: str  # the recording it was cut from
    speaker: str
    language: str
    text: str | None  # None: no transcript
    start_s: float  # position in the recording
    end_s: float
    duration: float  # seconds
