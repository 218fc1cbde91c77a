"""How closely sung audio follows its score: each note's F0, measured as evaluation measures it.

F0 comes from WORLD DIO + StoneMask with evaluation's settings (``AnalysisSettings``), untrimmed, so frame
times are the audio's own. A note's error is the median, over its voiced frames clear of its edges (where
the pitch steps to the next note), of the distance to its pitch in cents.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from polyvox.audio.pitch import track_pitch
from polyvox.evaluation.analysis import AnalysisSettings
from polyvox.inference.score import Score
from polyvox.inference.score_timing import note_frames

EDGE_S = 0.025  # left out at each end of a note: the step to the neighbouring pitch
# Fewer voiced frames than this clear of the edges (a short consonant) measure the transition, not the note.
MIN_VOICED_FRAMES = 5


@dataclass(frozen=True)
class NoteCheck:
    phoneme: str
    start_s: float
    end_s: float
    target_hz: float | None
    voiced_frames: int  # analysis frames clear of the edges with an F0
    cents_error: float | None  # median over those frames; None without a pitch or MIN_VOICED_FRAMES of them


@dataclass(frozen=True)
class ScoreCheck:
    times_s: np.ndarray  # (frames,)
    f0_hz: np.ndarray  # (frames,), 0 where unvoiced
    notes: list[NoteCheck]

    def worst_cents(self) -> float:
        """The largest absolute note error (NaN when no note was measured)."""
        errors = [abs(note.cents_error) for note in self.notes if note.cents_error is not None]
        return max(errors) if errors else float("nan")


def track_f0(samples: np.ndarray, sample_rate: int, settings: AnalysisSettings | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(times in s, F0 in Hz with 0 unvoiced) of ``samples``, by evaluation's estimator and settings."""
    f0, times = track_pitch(samples, sample_rate, (settings or AnalysisSettings()).pitch_tracking())
    return times, f0


def check_score(samples: np.ndarray, sample_rate: int, score: Score, frames_per_second: float) -> ScoreCheck:
    """Each note's measured F0 against its pitch, the notes placed where the synthesizer put them."""
    times, f0 = track_f0(samples, sample_rate)
    ends = np.cumsum(note_frames(score, frames_per_second)) / frames_per_second
    checks = []
    for note, start, end in zip(score.notes, np.concatenate([[0.0], ends[:-1]]), ends):
        inside = (times >= start + EDGE_S) & (times <= end - EDGE_S) & (f0 > 0)
        error = None
        if note.pitch_hz is not None and inside.sum() >= MIN_VOICED_FRAMES:
            error = float(np.median(1200.0 * np.log2(f0[inside] / note.pitch_hz)))
        checks.append(NoteCheck(note.phoneme, float(start), float(end), note.pitch_hz, int(inside.sum()), error))
    return ScoreCheck(times, f0, checks)
