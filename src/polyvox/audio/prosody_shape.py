"""A clip's prosody reshaped after synthesis: pitch moved, its swing scaled, made unvoiced, its level changed.

The corpus styles (``data/corpus/teacher_styles.py``) are put on a teacher's speech this way, and a voice whose
style labels did not learn all of a style (a few hundred CPU steps teach rate and level, not pitch) closes the
gap the same way when it speaks (``inference/style_prosody.py``). The pitch moves through WORLD's analysis and
resynthesis, as ``--pitch`` does (``audio/pitch.py``); a change of level alone needs no resynthesis.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from polyvox.audio.pitch import WorldSettings, analyse, check_semitones, resynthesise, shift_pitch

# Resynthesised F0 is kept within what a voice can say.
MAX_F0_HZ = 1000.0
# A range factor scales the intonation: the F0 contour smoothed over this long (within each voiced stretch). The
# frame-to-frame jitter and the tracker's slips ride on it unscaled; scaled with it they turn the voice rough (joe's
# excited label at +4 semitones and x1.92: voiced in 3 % of frames with every frame scaled, 24 % with the contour alone).
CONTOUR_MS = 50.0


@dataclass(frozen=True)
class ProsodyShape:
    """What to do to a spoken clip: semitones of pitch, a factor on the pitch's swing about its mean (log F0), every
    frame unvoiced (a whisper: noise through the clip's own spectral envelope), and a gain in dB."""

    semitones: float = 0.0
    range_factor: float = 1.0
    unvoiced: bool = False
    gain_db: float = 0.0

    @property
    def resynthesised(self) -> bool:
        """Whether WORLD must analyse the clip (anything but a gain): the whole sentence is needed at once."""
        return self.semitones != 0.0 or self.range_factor != 1.0 or self.unvoiced

    @property
    def identity(self) -> bool:
        return not self.resynthesised and self.gain_db == 0.0


def moved_f0(f0: np.ndarray, semitones: float, range_factor: float, contour_frames: int = 1) -> np.ndarray:
    """Voiced frames' F0 moved ``semitones`` and its swing about the mean log F0 scaled by ``range_factor``;
    unvoiced frames (0) stay unvoiced. With ``contour_frames`` > 1 only the contour (log F0 averaged over that many
    frames within each voiced stretch) is scaled, the detail about it kept as it was."""
    moved = f0.copy()
    voiced = f0 > 0
    if voiced.any():
        log_f0 = np.log(f0[voiced])
        centre = log_f0.mean()
        contour = log_f0 if contour_frames <= 1 else _voiced_contour(np.log(np.where(voiced, f0, 1.0)), voiced, contour_frames)[voiced]
        shaped = log_f0 + (range_factor - 1.0) * (contour - centre) + semitones * math.log(2) / 12
        moved[voiced] = np.minimum(np.exp(shaped), MAX_F0_HZ)
    return moved


def _voiced_contour(log_f0: np.ndarray, voiced: np.ndarray, frames: int) -> np.ndarray:
    """``log_f0`` averaged over ``frames`` within each voiced stretch (its ends held), 0 elsewhere."""
    contour = np.zeros_like(log_f0)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], voiced.astype(np.int8), [0]])))
    half = frames // 2
    kernel = np.full(2 * half + 1, 1.0 / (2 * half + 1))
    for start, stop in zip(edges[::2], edges[1::2]):
        stretch = np.pad(log_f0[start:stop], half, mode="edge")
        contour[start:stop] = np.convolve(stretch, kernel, mode="valid")
    return contour


def applied_gain(samples: np.ndarray, gain_db: float) -> np.ndarray:
    """float ``samples`` scaled by ``gain_db``, kept within [-1, 1]; ``samples`` itself when the gain is 0."""
    return samples if gain_db == 0.0 else np.clip(samples * 10 ** (gain_db / 20), -1.0, 1.0)


def shape_prosody(samples: np.ndarray, sample_rate: int, shape: ProsodyShape, settings: WorldSettings | None = None) -> np.ndarray:
    """``samples`` (mono float) reshaped by ``shape``, same length. A pitch shift alone is ``shift_pitch`` exactly;
    an identity shape returns ``samples`` untouched, a clip too short to analyse takes the gain only."""
    check_semitones(shape.semitones)
    if shape.range_factor == 1.0 and not shape.unvoiced:  # a pitch shift (or none) and a gain
        return applied_gain(shift_pitch(samples, sample_rate, shape.semitones, settings), shape.gain_db)
    settings = settings or WorldSettings()
    analysis = analyse(samples, sample_rate, settings)
    if analysis is None:
        return applied_gain(samples, shape.gain_db)
    contour_frames = max(1, round(CONTOUR_MS / settings.frame_period_ms))
    f0 = np.zeros_like(analysis.f0_hz) if shape.unvoiced else moved_f0(analysis.f0_hz, shape.semitones, shape.range_factor, contour_frames)
    return applied_gain(resynthesise(analysis, f0, sample_rate, settings), shape.gain_db)
