"""A teacher's clip said in a corpus style (``polyvox corpus --teacher piper|kokoro --styles ...``).

A neural teacher speaks one way; the style is put on its speech afterwards by WORLD analysis and resynthesis
(``audio/pitch.py``'s, which ``--pitch`` uses): the F0 contour moved by the style's semitones and its swing about the clip's
mean (in log F0) scaled by the pitch-range factor; the time stretched by the rate factor (the same analysis frames,
each resynthesised shorter or longer, so pitch is not touched); for whisper every frame resynthesised unvoiced (noise
through the clip's own spectral envelope); then the gain. Every labelled clip, neutral included, goes through the
same analysis and resynthesis, so what differs between labels is the style, not the vocoder.
"""

from __future__ import annotations

import numpy as np

from polyvox.audio.pitch import WorldSettings, analyse, resynthesise
from polyvox.audio.prosody_shape import applied_gain, moved_f0
from polyvox.data.corpus.styles import CorpusStyle

# A teacher's F0 is searched from 50 Hz (the pitch shift's 71 Hz floor would cut low male voices' lowest frames).
# WORLD's usual 5 ms frames, not the pitch shift's 1 ms: a corpus made before the change is made again the same,
# and at 1 ms the whispered style's noise reads as 14 % voiced instead of under 10 %.
WORLD = WorldSettings(frame_period_ms=5.0, f0_floor_hz=50.0)


def styled_speech(samples: np.ndarray, sample_rate: int, style: CorpusStyle, durations: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """``samples`` (float mono) said in ``style``, and the per-token ``durations`` (samples, summing to the clip's
    length) stretched with it so that they sum to the styled clip's length. A clip too short to analyse only
    takes the gain."""
    analysis = analyse(samples, sample_rate, WORLD)
    if analysis is None:
        return applied_gain(np.asarray(samples, dtype=np.float32), style.gain_db), durations
    f0 = analysis.f0_hz
    styled_f0 = np.zeros_like(f0) if style.whisper else moved_f0(f0, style.semitones, style.pitch_range_factor)
    spoken = applied_gain(resynthesise(analysis, styled_f0, sample_rate, WORLD, rate=style.rate_factor), style.gain_db)
    return spoken, None if durations is None else stretched_durations(durations, spoken.size)


def stretched_durations(durations: np.ndarray, total: int) -> np.ndarray:
    """Per-token samples scaled to sum to ``total``, by rounding the scaled boundaries (no token gains or loses
    more than one sample to rounding)."""
    boundaries = np.round(np.cumsum(durations, dtype=np.float64) * total / max(int(np.sum(durations)), 1)).astype(np.int64)
    boundaries[-1] = total
    return np.diff(np.concatenate([[0], boundaries]))
