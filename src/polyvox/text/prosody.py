"""Prosodic features beside each phoneme: stress, tone or pitch accent, and vowel length.

In the ``features`` input scheme a token's symbol is the phoneme alone (``i``, ``ian``) and what
espeak-ng and pypinyin fuse into it (``ˈiː``, ``ian3``) travels beside it as a prosody id, embedded
on its own by the text encoder. Every known phoneme can so take every known stress or tone, and no
table of combinations exists. The tables below are the same for every voice (their ids never move;
a voice records ``PROSODY_SCHEME`` so a change is caught by its fingerprint).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from polyvox.text.token import Token

# Stress (espeak-ng languages), tone (Mandarin, sandhi applied; 5 is the neutral tone) and pitch accent
# (Japanese: a mora high or low). "" is unmarked.
ACCENTS: tuple[str, ...] = ("", "ˈ", "ˌ", "1", "2", "3", "4", "5", "H", "L")
# Vowel length as espeak-ng writes it: long and half-long.
LENGTHS: tuple[str, ...] = ("", "ː", "ˑ")
N_PROSODY_IDS = len(ACCENTS) * len(LENGTHS)
PROSODY_SCHEME = "accent+length/v1:" + ",".join(ACCENTS) + "|" + ",".join(LENGTHS)

_STRESS_MARKS = "ˈˌ"
_LENGTH_MARKS = "ːˑ"
_MANDARIN_TONED = re.compile(r"^([a-zü]+)([1-5])$")
_MANDARIN_INITIALS = frozenset("b p m f d t n l g k h j q x zh ch sh r z c s y w".split())


def prosody_id(accent: str, length: str) -> int:
    """One id per (accent, length): the text encoder splits it back (``id // len(LENGTHS)``, ``id % len(LENGTHS)``)."""
    return ACCENTS.index(accent) * len(LENGTHS) + LENGTHS.index(length)


def split_symbol(symbol: str, language: str) -> tuple[str, str, str]:
    """``(phoneme, accent, length)`` of a fused symbol: ``ˈiː`` -> ``('i', 'ˈ', 'ː')``, ``ian3`` (zh) ->
    ``('ian', '3', '')``. A symbol that is only marks (espeak's lone ``ː``) keeps them as its phoneme."""
    if language == "zh":
        toned = _MANDARIN_TONED.match(symbol)
        if toned:
            return toned.group(1), toned.group(2), ""
        return symbol, "", ""
    accent = next((mark for mark in symbol if mark in _STRESS_MARKS), "")
    length = next((mark for mark in symbol if mark in _LENGTH_MARKS), "")
    phoneme = "".join(char for char in symbol if char not in _STRESS_MARKS and char not in _LENGTH_MARKS)
    if not phoneme:
        return symbol, "", ""
    return phoneme, accent, length


def with_features(tokens: Sequence[Token]) -> list[Token]:
    """Tokens in the ``features`` scheme: bare phonemes with their accent and length beside them.

    A Mandarin initial takes its syllable's tone (as the final that follows it), so the tone colours the
    whole syllable; Japanese tokens keep the accent their phonemizer set."""
    split: list[Token] = []
    for token in tokens:
        phoneme, accent, length = split_symbol(token.symbol, token.language)
        split.append(Token(phoneme, token.language, accent or token.accent, length or token.length))
    for index in range(len(split) - 1):
        token, following = split[index], split[index + 1]
        if token.language == "zh" and not token.accent and following.language == "zh" and following.accent:
            if token.symbol in _MANDARIN_INITIALS:
                split[index] = replace(token, accent=following.accent)
    return split


def fused(tokens: Sequence[Token]) -> list[Token]:
    """Tokens as voices of the ``fused`` scheme read them: the phonemizer's symbols, no features beside."""
    return [Token(token.symbol, token.language) if token.accent or token.length else token for token in tokens]
