"""Splitting text into sentences for synthesis, none longer than a limit."""

from __future__ import annotations

import re

from polyvox.text.abbreviations import ABBREVIATIONS
from polyvox.text.currency_units import SCALE_ABBREVIATIONS
from polyvox.text.errors import EmptyTextError
from polyvox.text.normalize import collapse_whitespace
from polyvox.text.tags import TAG

MAX_SENTENCE_CHARS = 300
_CLOSERS = "\"'”’»)]」』）"
# Latin terminators need a following space (so 3.5 and e.g. stay whole); CJK ones do not.
_BOUNDARY = re.compile(rf"[.!?…؟]+[{re.escape(_CLOSERS)}]*(?=\s|$)|[。！？]+[{re.escape(_CLOSERS)}]*")
_SOFT_BREAK = re.compile(r"[,;:，、；：،](?=\s|[^\x00-\x7f])|\s[—–-]\s")


_ENDS_WITH_DIGIT = re.compile(r"\d$")


# Each language's scale abbreviations written with a full stop (5 Mio. €), found once rather than at every boundary.
_DOTTED_SCALES = {
    language: sorted(written for written in scales if written.endswith("."))
    for language, scales in SCALE_ABBREVIATIONS.items()
}


def dotted_scales(language: str) -> list[str]:
    """The language's scale abbreviations written with a full stop (5 Mio. €)."""
    return _DOTTED_SCALES.get(language, [])


def _ends_with_abbreviation(piece: str, language: str) -> bool:
    words = piece.split()
    if not words:
        return False
    # A dotted scale after an amount (5 Mio. € im Jahr) is a word of its sentence, not the sentence's end.
    after_amount = len(words) > 1 and _ENDS_WITH_DIGIT.search(words[-2]) is not None
    return words[-1] in ABBREVIATIONS.get(language, {}) or (after_amount and words[-1] in dotted_scales(language))


def _has_content(piece: str) -> bool:
    return any(char.isalnum() for char in TAG.sub("", piece))


def _split_long(sentence: str, max_chars: int) -> list[str]:
    """Cut at the last comma-like mark before the limit, else the last space, else at the limit."""
    pieces: list[str] = []
    while len(sentence) > max_chars:
        window = sentence[: max_chars + 1]
        cut = max((match.end() for match in _SOFT_BREAK.finditer(window) if match.end() <= max_chars), default=0)
        if cut == 0:
            cut = window.rfind(" ")
        if cut <= 0:
            cut = max_chars
        pieces.append(sentence[:cut].strip())
        sentence = sentence[cut:].strip()
    pieces.append(sentence)
    return [piece for piece in pieces if piece]


def _balance_tags(pieces: list[str]) -> list[str]:
    """A language tag cut by a split is closed at the end of one piece and reopened in the next."""
    balanced: list[str] = []
    open_language: str | None = None
    for piece in pieces:
        if open_language is not None:
            piece = f"<{open_language}>{piece}"
        for match in TAG.finditer(piece):
            open_language = None if match.group(1) else match.group(2)
        balanced.append(piece if open_language is None else f"{piece}</{open_language}>")
    return balanced


def split_sentences(text: str, language: str, max_chars: int = MAX_SENTENCE_CHARS) -> list[str]:
    """Non-empty sentences of ``text``; very long ones are cut at commas or spaces so that none
    is longer than ``max_chars`` characters."""
    text = collapse_whitespace(text)
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        piece = text[start : match.end()]
        if _ends_with_abbreviation(piece, language):
            continue
        sentences.append(piece.strip())
        start = match.end()
    sentences.append(text[start:].strip())
    merged: list[str] = []
    for sentence in sentences:
        if _has_content(sentence) or not merged:
            merged.append(sentence)
        else:
            merged[-1] += sentence
    pieces = [piece for sentence in merged for piece in _split_long(sentence, max_chars)]
    result = [piece for piece in _balance_tags(pieces) if _has_content(piece)]
    if not result:
        raise EmptyTextError(f"no sentence to speak in {text!r}: the text is blank or only punctuation")
    return result
