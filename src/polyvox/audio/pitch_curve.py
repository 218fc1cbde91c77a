"""Pitch and loudness set note by note, through the WORLD resynthesis that ``--pitch`` uses.

``shift_pitch`` scales the analysed F0 by one factor; here each voiced frame takes its note's pitch
instead (a score), and each note's spectral envelope its gain. Voicing stays as analysed: an unvoiced
consonant stays noise whatever its note says, and the formants and the timing stay the model's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from polyvox.audio.pitch import WorldSettings, analyse, check_semitones, resynthesise


@dataclass(frozen=True)
class NoteTrack:
    """Consecutive notes from time 0: where each ends, its pitch (None: its neighbours') and its gain."""

    ends_s: tuple[float, ...]
    pitch_hz: tuple[float | None, ...]
    energy_db: tuple[float, ...]

    def note_at(self, times_s: np.ndarray) -> np.ndarray:
        """Index of the note sounding at each time (the last one after its end)."""
        return np.minimum(np.searchsorted(np.asarray(self.ends_s), times_s, side="right"), len(self.ends_s) - 1)

    def filled_pitch_hz(self) -> np.ndarray | None:
        """Every note's pitch, those without one interpolated (in log frequency) from their neighbours; None when no note has one."""
        pitched = [index for index, hz in enumerate(self.pitch_hz) if hz is not None]
        if not pitched:
            return None
        log_hz = np.log([self.pitch_hz[index] for index in pitched])
        return np.exp(np.interp(np.arange(len(self.pitch_hz)), pitched, log_hz))


def follow_notes(
    samples: np.ndarray, sample_rate: int, track: NoteTrack, semitones: float = 0.0, settings: WorldSettings | None = None
) -> np.ndarray:
    """``samples`` with each voiced frame at its note's pitch (moved by ``semitones``) and each note's gain; same length."""
    check_semitones(semitones)
    if track.filled_pitch_hz() is None and not any(track.energy_db) and semitones == 0:
        return samples  # durations only: the model's audio as it is, not resynthesised
    settings = settings or WorldSettings()
    analysis = analyse(samples, sample_rate, settings)
    if analysis is None:
        return samples
    notes = track.note_at(analysis.times_s)
    pitch = track.filled_pitch_hz()
    f0 = analysis.f0_hz * 2.0 ** (semitones / 12.0)
    if pitch is not None:
        f0 = np.where(analysis.f0_hz > 0, pitch[notes] * 2.0 ** (semitones / 12.0), 0.0)
    gain = np.asarray(track.energy_db)[notes]
    envelope = analysis.envelope * (10.0 ** (gain / 10.0))[:, None] if gain.any() else None  # power spectrum: dB / 10
    return resynthesise(analysis, f0, sample_rate, settings, envelope)
