"""A reference clip's pitch, followed: zero-shot speech moved to the clip's median F0.

The reference encoder gives a timbre near the trained speakers', and with it their register: a 225 Hz speaker's clip
came out at 84 Hz, the bundled voice's male pitch (docs/importing.md, "Clone fidelity"). So each spoken sentence's
median F0 is measured and the sentence moved to the clip's through WORLD, as ``--pitch`` moves it
(``audio/pitch.py``), on top of any ``--pitch`` the request asks. Measured per sentence, a sentence keeps its own
contour; one whose F0 cannot be read (too little voicing, as in a whisper) is left as spoken.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from polyvox.audio.pitch import MAX_SEMITONES
from polyvox.audio.prosody_shape import ProsodyShape
from polyvox.inference.reference_clips import ReferenceAudio, checked_clips
from polyvox.inference.speaker_pitch import semitones_between

if TYPE_CHECKING:
    from polyvox.inference.request import SpeechOptions

# Fewer voiced frames than this share (or than MIN_VOICED_FRAMES) give no pitch to follow or to move from.
MIN_VOICED_FRACTION = 0.2
MIN_VOICED_FRAMES = 20
# Ends quieter than this below the peak are cut before measuring (as evaluation's prosody figures cut them).
SILENCE_DB = -40.0
# A voiced frame's two periods correlate at least this much (a steady vowel: near 1; noise: about 0).
MIN_PERIODICITY = 0.5


def median_f0(samples: np.ndarray, sample_rate: int) -> float | None:
    """The median F0 (Hz) of ``samples``' voiced frames by evaluation's tracker, silent ends cut; None when too little
    is voiced."""
    return _median([_track(samples, sample_rate)])


def reference_f0(sample_rate: int, references: ReferenceAudio | Sequence[ReferenceAudio]) -> float | None:
    """The median F0 of the reference clips (several: over all their voiced frames); None when it cannot be read."""
    return _median([_track(clip, sample_rate) for clip in checked_clips(sample_rate, references)])


def _track(samples: np.ndarray, sample_rate: int) -> np.ndarray:
    """F0 per frame, 0 where unvoiced or where the signal does not repeat at that period (DIO reads noise, a
    whisper's included, as voiced near its floor)."""
    from polyvox.data.corpus.silence import trim_silence
    from polyvox.evaluation.score_check import track_f0

    trimmed, _ = trim_silence(np.asarray(samples, dtype=np.float32).reshape(-1), sample_rate, keep_seconds=0.0, threshold_db=SILENCE_DB)
    times, f0 = track_f0(trimmed, sample_rate)
    periodic = [hz > 0 and _repeats(trimmed, int(round(t * sample_rate)), int(round(sample_rate / hz))) for t, hz in zip(times, f0)]
    return np.where(periodic, f0, 0.0)


def _repeats(samples: np.ndarray, centre: int, period: int) -> bool:
    """Whether two periods about ``centre`` correlate (normalized) by at least MIN_PERIODICITY."""
    start = max(0, centre - period)
    first, second = samples[start : start + period], samples[start + period : start + 2 * period]
    if second.size < period or period < 2:
        return False
    energy = math.sqrt(float(np.dot(first, first)) * float(np.dot(second, second)))
    return energy > 0 and float(np.dot(first, second)) / energy >= MIN_PERIODICITY


def _median(tracks: Sequence[np.ndarray]) -> float | None:
    voiced = np.concatenate([f0[f0 > 0] for f0 in tracks])
    if voiced.size < max(MIN_VOICED_FRAMES, MIN_VOICED_FRACTION * sum(f0.size for f0 in tracks)):
        return None
    return float(np.median(voiced))


def semitones_toward(samples: np.ndarray, sample_rate: int, target_hz: float, pitch: float) -> float:
    """The semitones that move ``samples`` (spoken, before any shift) to ``target_hz`` on top of the request's
    ``pitch`` shift, kept within what a shift may be; 0 when the speech's F0 cannot be read."""
    spoken = median_f0(samples, sample_rate)
    if spoken is None:
        return 0.0
    return float(np.clip(semitones_between(spoken, target_hz), -MAX_SEMITONES - pitch, MAX_SEMITONES - pitch))


def with_reference_pitch(options: SpeechOptions, sample_rate: int) -> SpeechOptions:
    """``options`` carrying the reference clip's median F0 when the request gives a clip and follows its pitch (a
    score sets its own pitch); as they were otherwise, or when the clip's F0 cannot be read."""
    request = options.request
    if request.reference is None or not request.reference_pitch or request.score is not None:
        return options
    return dataclasses.replace(options, reference_f0_hz=reference_f0(sample_rate, request.reference))


def toward_reference(samples: np.ndarray, sample_rate: int, options: SpeechOptions) -> ProsodyShape:
    """How a spoken sentence is reshaped: ``options.shape``, moved on to the reference clip's F0 when it has one."""
    shape = options.shape
    if options.reference_f0_hz is None:
        return shape
    move = semitones_toward(samples, sample_rate, options.reference_f0_hz, shape.semitones)
    return dataclasses.replace(shape, semitones=shape.semitones + move)
