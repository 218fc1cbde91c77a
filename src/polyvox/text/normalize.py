"""Text normalisation before phonemization: unicode, whitespace, abbreviations, symbols, numbers."""

from __future__ import annotations

import re
import unicodedata

from polyvox.text.abbreviations import expand_abbreviations, expand_symbols
from polyvox.text.chinese_numbers import spell_chinese_numbers
from polyvox.text.currency import read_money
from polyvox.text.numbers import join_digit_groups, join_thousands, spell_numbers

_WHITESPACE = re.compile(r"\s+")
_SPACE_BEFORE_PUNCTUATION = re.compile(r"\s+([,.!?;:…，。！？、；：])")
_CJK_LANGUAGES = frozenset({"zh", "ja"})


def _ascii_digits(text: str) -> str:
    """Any decimal digit (full-width ``２``, Arabic-Indic ``٢``) becomes its ASCII digit."""
    return "".join(
        str(unicodedata.decimal(char)) if char.isdecimal() and not char.isascii() else char for char in text
    )


def _arabic_separators(text: str) -> str:
    return text.replace("\u066b", ".").replace("\u066c", ",").replace("\u060c", "،")


def collapse_whitespace(text: str) -> str:
    """Runs of whitespace become one space and the ends are stripped, except whitespace between two digits, which
    stays as written: it tells :func:`normalize` whether the digits are one grouped number (``1 000``, a no-break
    space) or two (a line break)."""

    def collapse(match: re.Match[str]) -> str:
        start, end = match.span()
        between_digits = 0 < start and end < len(text) and text[start - 1].isdecimal() and text[end].isdecimal()
        return match.group() if between_digits else " "

    return _WHITESPACE.sub(collapse, text).strip()


def normalize(text: str, language: str) -> str:
    """Normalise ``text`` written in ``language``: NFC, ASCII digits, digit groups joined (``1 000`` with a
    no-break space, and with a plain space in fr, es, de, ru: see :func:`polyvox.text.numbers.join_digit_groups`),
    whitespace collapsed, abbreviations spelled out, amounts of money read (``$1,000.50``: see
    :mod:`polyvox.text.currency`), symbols (``%``, ``&``) spelled out, ordinals and numbers written as words."""
    text = unicodedata.normalize("NFC", text)
    text = _ascii_digits(text)
    if language == "ar":
        text = _arabic_separators(text)
    text = join_digit_groups(collapse_whitespace(text), language)
    text = _WHITESPACE.sub(" ", text)  # whitespace left between digits separates two numbers
    text = expand_abbreviations(text, language)
    if language == "zh":  # the currency sign after its amount (五美元), the Chinese reader reads digits only
        text = spell_chinese_numbers(read_money(join_thousands(text, language), language))
        text = expand_symbols(text, language)
    else:
        text = expand_symbols(read_money(text, language), language)
        text = spell_numbers(text, language)
    text = collapse_whitespace(text)
    text = _SPACE_BEFORE_PUNCTUATION.sub(r"\1", text)
    if language in _CJK_LANGUAGES:
        text = re.sub(r"(?<=[^\x00-\x7f]) (?=[^\x00-\x7f])", "", text)
    return text
