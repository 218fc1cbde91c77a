"""A score's durations as the generator's frames: how many frames each id of the sentence gets.

Each note is one token; its ids are the token's own (one, or one per character in a codepoint voice)
and the blanks after them. Note boundaries are rounded once, cumulatively, so every note is within one
frame of its ms and the whole within half a frame. A note's frames are shared between its own ids and
its blanks in the proportion the duration predictor gives them (a blank carries the transition to the
next sound), its own ids keeping at least one. BOS, EOS and the blanks around them get none: the audio
starts with the first note and ends with the last.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from polyvox.audio.pitch_curve import NoteTrack
from polyvox.inference.score import Score
from polyvox.text.symbols import BOS_ID, EOS_ID, PAD_ID

_GLUE_IDS = frozenset({PAD_ID, BOS_ID, EOS_ID})


@dataclass(frozen=True)
class ScoreTiming:
    durations: list[int]  # frames of each id of the encoded sentence (what encode_prior's durations= takes)
    note_frames: list[int]  # frames of each note
    frame_s: float  # seconds of one frame

    def note_ends_s(self) -> tuple[float, ...]:
        return tuple(float(end) * self.frame_s for end in np.cumsum(self.note_frames))

    def track(self, score: Score) -> NoteTrack:
        """The notes' pitches and gains over the output's time."""
        notes = score.notes
        return NoteTrack(self.note_ends_s(), tuple(n.pitch_hz for n in notes), tuple(n.energy_db for n in notes))


def note_frames(score: Score, frames_per_second: float) -> list[int]:
    """Frames of each note: its boundaries rounded on the frame grid."""
    ends_ms = np.cumsum([note.duration_ms for note in score.notes])
    ends = np.rint(ends_ms * frames_per_second / 1000.0).astype(int)
    return np.diff(ends, prepend=0).tolist()


def _groups(phoneme_ids: Sequence[int], ids_per_note: Sequence[int]) -> list[tuple[list[int], list[int]]]:
    """For each note, the positions of its own ids and of the blanks after them (up to the next note or EOS)."""
    groups: list[tuple[list[int], list[int]]] = []
    owed = 0  # own ids of the current note still to come
    for position, symbol_id in enumerate(phoneme_ids):
        if symbol_id == EOS_ID:
            break
        if symbol_id in _GLUE_IDS:
            if groups and not owed:
                groups[-1][1].append(position)
            continue
        if not owed:
            owed = ids_per_note[len(groups)]
            groups.append(([], []))
        groups[-1][0].append(position)
        owed -= 1
    if len(groups) != len(ids_per_note):
        raise ValueError(f"{len(groups)} phonemes in the ids for {len(ids_per_note)} notes")  # a polyvox bug, not the score's
    return groups


def _shares(frames: int, weights: np.ndarray) -> list[int]:
    """``frames`` split by ``weights`` (cumulative rounding: the parts sum to ``frames``)."""
    ends = np.rint(np.cumsum(weights) / weights.sum() * frames).astype(int)
    return np.diff(ends, prepend=0).tolist()


def score_timing(
    score: Score, phoneme_ids: Sequence[int], ids_per_note: Sequence[int], predicted: Sequence[float], frames_per_second: float
) -> ScoreTiming:
    """Frames per id for ``score``; ``predicted``: the duration predictor's frames per id (how to share a note)."""
    per_note = note_frames(score, frames_per_second)
    durations = [0] * len(phoneme_ids)
    weights = np.maximum(np.asarray(predicted, dtype=float), 1e-3)
    for frames, (own, blanks) in zip(per_note, _groups(phoneme_ids, ids_per_note)):
        blank_frames = 0
        if blanks and frames > len(own):
            share = weights[blanks].sum() / (weights[blanks].sum() + weights[own].sum())
            blank_frames = min(int(np.rint(frames * share)), frames - len(own))
        for position, part in zip(own, _shares(frames - blank_frames, weights[own])):
            durations[position] = part
        for position, part in zip(blanks, _shares(blank_frames, weights[blanks]) if blank_frames else [0] * len(blanks)):
            durations[position] = part
    return ScoreTiming(durations, per_note, 1.0 / frames_per_second)
