"""A teacher's clip said in a corpus style (``polyvox corpus --teacher piper|kokoro --styles ...``).

A neural teacher speaks one way; the style is put on its speech afterwards by WORLD analysis and resynthesis
(pyworld, polyvox's own dependency): the F0 contour moved by the style's semitones and its swing about the clip's
mean (in log F0) scaled by the pitch-range factor; the time stretched by the rate factor (the same analysis frames,
each resynthesised shorter or longer, so pitch is not touched); for whisper every frame resynthesised unvoiced (noise
through the clip's own spectral envelope); then the gain. Every labelled clip, neutral included, goes through the
same analysis and resynthesis, so what differs between labels is the style, not the vocoder.
"""

from __future__ import annotations

import math

import numpy as np

from polyvox.data.corpus.styles import CorpusStyle, applied_gain

# WORLD's analysis step (its default): fine enough for speech F0, and the resynthesis stretches time by changing it.
FRAME_PERIOD_MS = 5.0
# The clip's F0 is searched in this range (DIO's); a teacher's voices lie well inside it.
F0_FLOOR_HZ, F0_CEIL_HZ = 50.0, 800.0
# Resynthesised F0 is kept within what a voice can say.
MAX_F0_HZ = 1000.0


def styled_speech(samples: np.ndarray, sample_rate: int, style: CorpusStyle, durations: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """``samples`` (float mono) said in ``style``, and the per-token ``durations`` (samples, summing to the clip's
    length) stretched with it so that they sum to the styled clip's length."""
    import pyworld

    signal = np.ascontiguousarray(samples, dtype=np.float64)
    f0, times = pyworld.dio(signal, sample_rate, f0_floor=F0_FLOOR_HZ, f0_ceil=F0_CEIL_HZ, frame_period=FRAME_PERIOD_MS)
    f0 = pyworld.stonemask(signal, f0, times, sample_rate)
    envelope = pyworld.cheaptrick(signal, f0, times, sample_rate)
    aperiodicity = pyworld.d4c(signal, f0, times, sample_rate)
    styled_f0 = np.zeros_like(f0) if style.whisper else moved_f0(f0, style.semitones, style.pitch_range_factor)
    spoken = pyworld.synthesize(styled_f0, envelope, aperiodicity, sample_rate, FRAME_PERIOD_MS / style.rate_factor)
    spoken = applied_gain(np.clip(spoken, -1.0, 1.0).astype(np.float32), style.gain_db)
    return spoken, None if durations is None else stretched_durations(durations, spoken.size)


def moved_f0(f0: np.ndarray, semitones: float, range_factor: float) -> np.ndarray:
    """Voiced frames' F0 moved ``semitones`` and its swing about the mean log F0 scaled by ``range_factor``;
    unvoiced frames (0) stay unvoiced."""
    moved = f0.copy()
    voiced = f0 > 0
    if voiced.any():
        log_f0 = np.log(f0[voiced])
        centre = log_f0.mean()
        moved[voiced] = np.minimum(np.exp(centre + range_factor * (log_f0 - centre) + semitones * math.log(2) / 12), MAX_F0_HZ)
    return moved


def stretched_durations(durations: np.ndarray, total: int) -> np.ndarray:
    """Per-token samples scaled to sum to ``total``, by rounding the scaled boundaries (no token gains or loses
    more than one sample to rounding)."""
    boundaries = np.round(np.cumsum(durations, dtype=np.float64) * total / max(int(np.sum(durations)), 1)).astype(np.int64)
    boundaries[-1] = total
    return np.diff(np.concatenate([[0], boundaries]))
