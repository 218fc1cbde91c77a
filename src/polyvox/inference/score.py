"""A score: the phonemes to say, each with its duration, and optionally its pitch and energy.

``polyvox say --score notes.json``, ``SpeechRequest(score=...)`` and the server's ``score`` field take
the same JSON object (docs/synthesis.md):

    {"notes": [{"phoneme": "h", "ms": 60}, {"phoneme": "ˈɛ", "ms": 250, "midi": 57}, {"phoneme": "l", "ms": 80, "hz": 220}]}

A note's ``phoneme`` is written as in ``--phonemes`` (one symbol of the voice's scheme, ``|`` between
words). Its pitch is a MIDI note number (``midi``, 69 = A4 = 440 Hz) or a frequency (``hz``); a note without
one (an unvoiced consonant, a pause) takes the pitch of its neighbours. ``energy_db`` changes its loudness.
Nothing here imports numpy or torch: the request checks a score when it is built.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from polyvox.inference.result import SynthesisError

# WORLD tracks and resynthesises F0 between these (polyvox.audio.pitch.WorldSettings); a score outside cannot be followed.
MIN_HZ, MAX_HZ = 71.0, 800.0
MAX_NOTE_MS = 10_000.0  # a longer phoneme is a typo (seconds written as ms), not a note
MAX_ENERGY_DB = 24.0
MAX_NOTES = 2000
MAX_SCORE_S = 600.0  # one utterance, synthesised (and resynthesised by WORLD) whole
_NOTE_KEYS = frozenset({"phoneme", "ms", "midi", "hz", "energy_db"})


class ScoreError(SynthesisError):
    """A score that cannot be sung: not the expected JSON, or a value out of range."""


def midi_to_hz(note: float) -> float:
    return 440.0 * 2.0 ** ((note - 69.0) / 12.0)


def hz_to_midi(hz: float) -> float:
    return 69.0 + 12.0 * math.log2(hz / 440.0)


@dataclass(frozen=True)
class Note:
    phoneme: str
    duration_ms: float
    pitch_hz: float | None = None  # None: follows its neighbours
    energy_db: float = 0.0  # gain on the voice's own loudness


@dataclass(frozen=True)
class Score:
    notes: tuple[Note, ...]

    @property
    def phonemes(self) -> str:
        """The notes' phonemes as a ``--phonemes`` string."""
        return " ".join(note.phoneme for note in self.notes)

    def transposition_problem(self, semitones: float) -> str | None:
        """Why the notes moved by ``semitones`` (``--pitch``) cannot be followed (outside what WORLD tracks); None if they can."""
        factor = 2.0 ** (semitones / 12.0)
        for index, note in enumerate(self.notes, start=1):
            if note.pitch_hz is not None and not MIN_HZ <= note.pitch_hz * factor <= MAX_HZ:
                return (f"pitch {semitones:+g} moves note {index} ({note.phoneme!r}) from {note.pitch_hz:.1f} to "
                        f"{note.pitch_hz * factor:.1f} Hz, outside {MIN_HZ:g} to {MAX_HZ:g} Hz, where F0 cannot be followed: transpose by less")
        return None

    @classmethod
    def parse(cls, value: Any, source: str = "score") -> Score:
        """A score from its JSON object (already decoded); ``ScoreError`` naming ``source`` and the note when wrong."""
        if isinstance(value, Score):
            return value
        notes = value.get("notes") if isinstance(value, Mapping) else None
        if not isinstance(notes, Sequence) or isinstance(notes, str) or not notes:
            raise ScoreError(f'{source} must be a JSON object with a non-empty "notes" list, e.g. {{"notes": '
                             '[{"phoneme": "a", "ms": 300, "midi": 60}]}')
        unknown = sorted(set(value) - {"notes"})
        if unknown:
            raise ScoreError(f'{source}: unknown field(s) {unknown}; a score has only "notes" (each note its own fields)')
        if len(notes) > MAX_NOTES:
            raise ScoreError(f"{source} has {len(notes)} notes; at most {MAX_NOTES} at a time: split it")
        score = cls(tuple(_note(item, f"{source}: note {index + 1}") for index, item in enumerate(notes)))
        seconds = sum(note.duration_ms for note in score.notes) / 1000.0
        if seconds > MAX_SCORE_S:
            raise ScoreError(f"{source} lasts {seconds:.0f} s; at most {MAX_SCORE_S:g} s at a time: split it")
        return score

    @classmethod
    def read(cls, path: str | Path) -> Score:
        """The score in a JSON file; ``ScoreError`` (one line) for an unreadable or malformed one."""
        try:
            value = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as error:
            raise ScoreError(f"cannot read score {path}: {error.strerror}") from error
        except UnicodeDecodeError as error:
            raise ScoreError(f"score {path} is not UTF-8 text; save it as UTF-8 JSON") from error
        except json.JSONDecodeError as error:
            raise ScoreError(f"score {path} is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})") from error
        return cls.parse(value, f"score {path}")


def _number(item: Mapping[str, Any], key: str, where: str) -> float | None:
    value = item.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ScoreError(f"{where}: {key} must be a number, got {value!r}")
    return float(value)


def _pitch_out_of_range(where: str, phoneme: str, pitch: str) -> ScoreError:
    return ScoreError(
        f"{where} ({phoneme!r}): pitch {pitch} is out of range; give {MIN_HZ:g} to {MAX_HZ:g} Hz "
        f"(MIDI {hz_to_midi(MIN_HZ):.1f} to {hz_to_midi(MAX_HZ):.1f})"
    )


def _note(item: Any, where: str) -> Note:
    if not isinstance(item, Mapping):
        raise ScoreError(f'{where} must be an object such as {{"phoneme": "a", "ms": 300, "midi": 60}}, got {item!r}')
    unknown = sorted(set(item) - _NOTE_KEYS)
    if unknown:
        raise ScoreError(f"{where}: unknown field(s) {unknown}; a note has {sorted(_NOTE_KEYS)}")
    phoneme = item.get("phoneme")
    if not isinstance(phoneme, str) or not phoneme.strip() or len(phoneme.split()) != 1:
        raise ScoreError(f'{where}: "phoneme" must be one symbol of the voice (polyvox say --list-phonemes), got {phoneme!r}')
    duration = _number(item, "ms", where)
    if duration is None or not 0 < duration <= MAX_NOTE_MS:
        raise ScoreError(f'{where} ({phoneme!r}): "ms" must be a duration above 0 and at most {MAX_NOTE_MS:g} ms, got {item.get("ms")!r}')
    midi, hz = _number(item, "midi", where), _number(item, "hz", where)
    if midi is not None and hz is not None:
        raise ScoreError(f'{where} ({phoneme!r}): give its pitch once, as "midi" or as "hz", not both')
    # A MIDI note is checked as given: converting 1e308 to Hz would overflow.
    if midi is not None and not hz_to_midi(MIN_HZ) <= midi <= hz_to_midi(MAX_HZ):
        raise _pitch_out_of_range(where, phoneme, f"MIDI {midi:g}")
    pitch = midi_to_hz(midi) if midi is not None else hz
    if pitch is not None and not MIN_HZ <= pitch <= MAX_HZ:
        raise _pitch_out_of_range(where, phoneme, f"{pitch:.1f} Hz")
    energy = _number(item, "energy_db", where) or 0.0
    if abs(energy) > MAX_ENERGY_DB:
        raise ScoreError(f'{where} ({phoneme!r}): "energy_db" must be between -{MAX_ENERGY_DB:g} and {MAX_ENERGY_DB:g}, got {energy:g}')
    return Note(phoneme.strip(), duration, pitch, energy)
