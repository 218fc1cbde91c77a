"""Punctuation kept as tokens, the full-width and script-specific forms folded onto them, and
marks that carry no sound and are dropped."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

WORD_SEPARATOR = " "

# Written form -> token. Every value is in SymbolTable.base().
PUNCTUATION_TOKENS: Mapping[str, str] = {
    ",": ",", ".": ".", "!": "!", "?": "?", ";": ";", ":": ":", "…": "…", '"': '"', "«": "«", "»": "»",
    "¿": "¿", "¡": "¡", "—": "-", "–": "-",
    "，": ",", "。": ".", "！": "!", "？": "?", "、": ",", "；": ";", "：": ":", "．": ".",
    "“": '"', "”": '"', "„": '"', "「": '"', "」": '"', "『": '"', "』": '"',
    "؟": "?", "،": ",", "؛": ";", "۔": ".",
}


def punctuation_token(char: str) -> str | None:
    """The token for a punctuation character, or ``None`` if it is not kept as a token."""
    return PUNCTUATION_TOKENS.get(char)


# Marks that carry no sound and are not kept as tokens (brackets, apostrophes, slashes...).
SILENT_MARKS = frozenset("'’‘-/\\_~*·・()[]{}（）【】〈〉《》〜")
# Categories of brackets, quotes and dashes: all silent.
_SILENT_CATEGORIES = frozenset({"Ps", "Pe", "Pi", "Pf", "Pd"})


def is_silent(char: str) -> bool:
    """Spaces, kept punctuation and marks that carry no sound. Symbols that are read aloud
    (``#``, ``@``, ``%``) are not silent: normalisation must spell them out."""
    return (
        char.isspace()
        or char in PUNCTUATION_TOKENS
        or char in SILENT_MARKS
        or unicodedata.category(char) in _SILENT_CATEGORIES
    )


def split_edge_punctuation(piece: str) -> tuple[list[str], str, list[str]]:
    """Split ``'¿k'`` into ``(['¿'], 'k', [])`` and ``'d,'`` into ``([], 'd', [','])``:
    punctuation that a phonemizer glued onto the phones at either edge of a word."""
    leading: list[str] = []
    trailing: list[str] = []
    start, end = 0, len(piece)
    while start < end and is_silent(piece[start]):
        start += 1
    while end > start and is_silent(piece[end - 1]):
        end -= 1
    leading = [token for char in piece[:start] if (token := punctuation_token(char))]
    trailing = [token for char in piece[end:] if (token := punctuation_token(char))]
    return leading, piece[start:end], trailing
