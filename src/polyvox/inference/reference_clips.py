"""Reference clips read and checked without torch: the timbre and style references of both engines (``Voice`` computes
their log-mel with torch, ``OnnxVoice`` with numpy), so both refuse a bad clip with the same one-line message."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from polyvox.audio.io import load_audio
from polyvox.errors import ReferenceClipError

# Shorter clips carry too little of a voice to pool statistics over (the encoder trains on >= 0.45 s crops).
MIN_REFERENCE_S = 0.5
# Longer clips are cut to their first MAX_REFERENCE_S seconds.
MAX_REFERENCE_S = 30.0
# Below this RMS a clip is treated as silence (the same floor training uses for bad clips).
SILENCE_RMS = 1e-4

ReferenceAudio = str | Path | np.ndarray


def _samples(reference: ReferenceAudio, sample_rate: int) -> tuple[np.ndarray, str]:
    # Only the first MAX_REFERENCE_S seconds are used: the timbre is settled long before, and an hour-long
    # file would otherwise be read (and encoded) whole.
    if isinstance(reference, np.ndarray):
        return reference.astype(np.float32).reshape(-1)[: int(MAX_REFERENCE_S * sample_rate)], "the reference samples"
    return load_audio(reference, sample_rate, max_seconds=MAX_REFERENCE_S), str(reference)


def checked_clips(sample_rate: int, references: ReferenceAudio | Sequence[ReferenceAudio]) -> list[np.ndarray]:
    """The float32 samples of each clip at ``sample_rate`` (arrays are taken as already at it; files are resampled and
    down-mixed), each checked: ``ReferenceClipError`` for a silent, too short or non-finite clip, ``AudioError`` for a
    file that is not audio."""
    clips = [references] if isinstance(references, (str, Path, np.ndarray)) else list(references)
    if not clips:
        raise ReferenceClipError("no reference clip given")
    checked = []
    for clip in clips:
        samples, name = _samples(clip, sample_rate)
        if not np.all(np.isfinite(samples)):
            raise ReferenceClipError(f"{name} contains NaN or infinite samples; give a clip of the voice speaking")
        duration = len(samples) / sample_rate
        if duration < MIN_REFERENCE_S:
            raise ReferenceClipError(f"{name} is {duration:.2f} s long; a reference clip needs at least {MIN_REFERENCE_S} s of speech")
        rms = float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))
        if rms < SILENCE_RMS:
            raise ReferenceClipError(f"{name} is silent (RMS {rms:.1e}); give a clip of the voice speaking")
        checked.append(samples)
    return checked
