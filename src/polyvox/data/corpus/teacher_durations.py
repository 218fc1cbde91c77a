"""Per-token durations from a teacher's own per-symbol durations.

A teacher such as Kokoro decides how many frames each of its input symbols lasts; those symbols are
characters of the teacher's phoneme string, which is not the front end's token list (another espeak-ng
build, or for Japanese another alphabet). The two are aligned on characters by edit distance, every
teacher character's samples go to the token its character is aligned with (an unaligned one to the token
before it), and the clip keeps durations only when enough characters agree.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import numpy as np

from polyvox.evaluation.error_rate import aligned_pairs

# A clip keeps its durations when at least this share of the longer side's characters match.
MIN_MATCHED_SHARE = 0.6
# Japanese: the front end writes Hepburn-like romaji (``ky``, ``N``, devoiced ``U``), Kokoro IPA; both are
# compared as the romaji letter a character stands for.
_JAPANESE_LETTERS = {
    "ʲ": "y", "ɨ": "u", "β": "w", "ɴ": "N", "ŋ": "N", "ɕ": "s", "ʨ": "c", "ʥ": "j", "ɡ": "g", "ɸ": "f",
    "ɾ": "r", "ç": "h", "ɲ": "n", "ʔ": "q", "U": "u", "I": "i", "ʑ": "j", "ɯ": "u",
}
_IGNORED = frozenset("\u200b\u200c\u200d")


def teacher_token_durations(
    tokens: Sequence[str], symbols: Sequence[str], symbol_samples: Sequence[int], language: str
) -> np.ndarray | None:
    """Samples per token (summing to ``sum(symbol_samples)``), or ``None`` when fewer than
    ``MIN_MATCHED_SHARE`` of the characters agree. ``symbols`` are the teacher's characters in order, the
    silence before and after speech included as symbols of their own (an empty string)."""
    if not tokens or len(symbols) != len(symbol_samples):
        return None
    token_of = [index for index, token in enumerate(tokens) for character in token if character not in _IGNORED]
    ours = [_comparable(character, language) for token in tokens for character in token if character not in _IGNORED]
    theirs = [_comparable(symbol, language) for symbol in symbols]
    pairs = aligned_pairs(ours, theirs)
    matched = sum(1 for our, their in pairs if our is not None and their is not None and ours[our] == theirs[their])
    if matched < MIN_MATCHED_SHARE * max(len(ours), sum(1 for symbol in symbols if symbol)):
        return None
    owner: list[int | None] = [None] * len(symbols)
    for our, their in pairs:
        if our is not None and their is not None:
            owner[their] = token_of[our]
    durations = np.zeros(len(tokens), dtype=np.int64)
    previous = next((token for token in owner if token is not None), 0)
    for index, samples in enumerate(symbol_samples):
        token = owner[index] if owner[index] is not None else previous
        durations[token] += int(samples)
        previous = token
    return durations


def _comparable(character: str, language: str) -> str:
    if language == "ja":
        character = _JAPANESE_LETTERS.get(character, character)
    return unicodedata.normalize("NFD", character)[:1].lower() if character else ""
