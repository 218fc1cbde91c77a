"""Per-token durations from espeak's phoneme events.

The front end's tokens (phonemes, ``" "`` between words, punctuation) and espeak's events for
the same text are walked together on their phonetic characters, so a token may cover several
events or part of one. Each phoneme event lasts until the next event starts; a pause (an event
with an empty name) goes to the space or punctuation token that follows it. Durations are whole
samples and always add up to the audio length.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import numpy as np

from polyvox.data.corpus.espeak_engine import PhonemeEvent

# Stress and length marks: phonemizer and synthesis write them differently (espeak drops a
# phrase-final length mark in its events), so they take no part in matching.
_IGNORED_CHARACTERS = frozenset("ˈˌːˑ‿\u200b\u200c\u200d")
# espeak marks a switch to another language's rules (``(en)`` ... ``(fr)``) with an event of its own.
_LANGUAGE_SWITCH = re.compile(r"^\([\w-]+\)$")


def is_phonetic(token: str) -> bool:
    """True for a phoneme token; False for a word separator or punctuation."""
    return any(_is_phonetic_character(character) for character in token)


def _is_phonetic_character(character: str) -> bool:
    category = unicodedata.category(character)
    return category[0] in "LM" or category == "Sk"


def _phonetic_characters(text: str) -> list[str]:
    return [c for c in text if c not in _IGNORED_CHARACTERS and _is_phonetic_character(c)]


def align_token_durations(tokens: Sequence[str], events: Sequence[PhonemeEvent], total_samples: int) -> np.ndarray | None:
    """Samples per token (int64, summing to ``total_samples``), or ``None`` when the phonemes of
    ``tokens`` and ``events`` differ."""
    events = [event for event in events if not _LANGUAGE_SWITCH.match(event.name)]
    if not tokens or not events or total_samples <= 0:
        return None
    starts = [event.start_sample for event in events]
    if any(later < earlier for earlier, later in zip(starts, starts[1:])) or starts[0] < 0 or starts[-1] > total_samples:
        return None
    ends = starts[1:] + [total_samples]

    token_characters: list[tuple[int, str]] = [
        (token_index, character) for token_index, token in enumerate(tokens) for character in _phonetic_characters(token)
    ]
    durations = np.zeros(len(tokens), dtype=np.float64)
    durations[0] += starts[0]  # leading silence before the first event
    cursor = 0  # next unmatched phonetic character of the tokens
    last_token: int | None = None
    for event, start, end in zip(events, starts, ends):
        characters = _phonetic_characters(event.name)
        length = end - start
        if not characters:
            durations[_pause_token(tokens, last_token)] += length
            continue
        matched = token_characters[cursor : cursor + len(characters)]
        if [character for _, character in matched] != characters:
            return None
        weights = np.array([0.0 if unicodedata.combining(character) else 1.0 for character in characters])
        if weights.sum() == 0:
            weights[:] = 1.0
        for (token_index, _), weight in zip(matched, weights / weights.sum()):
            durations[token_index] += length * weight
        cursor += len(characters)
        last_token = matched[-1][0]
    if cursor != len(token_characters):
        return None
    boundaries = np.rint(np.concatenate([[0.0], np.cumsum(durations)])).astype(np.int64)
    boundaries[-1] = total_samples
    return np.diff(boundaries)


def _pause_token(tokens: Sequence[str], last_token: int | None) -> int:
    """The first separator or punctuation token after ``last_token`` and before the next phoneme;
    the preceding phoneme itself when there is none (so no time is lost)."""
    start = 0 if last_token is None else last_token + 1
    for index in range(start, len(tokens)):
        if is_phonetic(tokens[index]):
            break
        return index
    return 0 if last_token is None else last_token


def resample_boundaries(durations: np.ndarray, source_rate: int, target_rate: int, target_samples: int) -> np.ndarray:
    """Durations (in samples) moved to another sample rate, summing to ``target_samples``."""
    boundaries = np.concatenate([[0], np.cumsum(durations)]).astype(np.float64)
    scaled = np.clip(np.rint(boundaries * target_rate / source_rate), 0, target_samples).astype(np.int64)
    scaled[-1] = target_samples
    return np.diff(np.maximum.accumulate(scaled))
