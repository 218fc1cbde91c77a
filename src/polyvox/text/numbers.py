"""Spelling numbers as words with num2words (en, es, fr, de, ru, ar, ja, and any language it knows)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal

from polyvox.text.errors import TextError

# How a decimal number is written: (thousands separators, decimal separator).
_NUMBER_FORMAT: Mapping[str, tuple[str, str]] = {
    "en": (",", "."), "ja": (",", "."), "ar": (",", "."),
    "es": (".", ","), "de": (".", ","), "fr": ("\u00a0\u202f", ","), "ru": ("\u00a0\u202f", ","),
}
_DECIMAL_WORD: Mapping[str, str] = {
    "en": "point", "es": "coma", "fr": "virgule", "de": "Komma", "ar": "فاصلة", "ja": "点",
}
_DIGIT_BY_DIGIT_ABOVE = 15
# No-break spaces group digits in every language (1 000 000 is one million): U+00A0, U+202F (the narrow one of
# French typography) and U+2007 (the figure space).
_NO_BREAK_SPACES = "\u00a0\u202f\u2007"
# Languages whose writers group thousands with a space (their style guides: French typography, the RAE's
# Ortografía of 2010, DIN 5008, GOST) and type it as a plain one: "3 000 euros" is three thousand there. Elsewhere
# (English "3 000" included) a plain space separates two numbers.
_SPACE_GROUPING = frozenset({"fr", "es", "de", "ru"})
# Errors num2words raises for a number it cannot spell: OverflowError above its largest scale, and its bugs
# (Spanish ordinals just under 10**15..10**18 recurse without end or miss a key; Czech refuses -1; ...).
_NUM2WORDS_FAILURES = (ArithmeticError, LookupError, ValueError, TypeError, RecursionError)
# Where num2words (0.5.14) never returns: Amharic from a million up (most numbers; its merge returns None and
# clean loops). Refused as a TextError before num2words is asked.
_NUM2WORDS_LOOPS_FROM: Mapping[str, int] = {"am": 10**6}
_ORDINAL_SUFFIX: Mapping[str, str] = {
    "en": r"(?:st|nd|rd|th)\b",
    "fr": r"(?:er|re|e|ème|eme)\b",
    "es": r"(?:\.?º|\.?°|\.?ª)",
}


def _num2words(value: int | Decimal, language: str, to: str = "cardinal") -> str:
    from num2words import num2words

    kind = "an ordinal" if to == "ordinal" else "a number"
    if language in _NUM2WORDS_LOOPS_FROM and abs(value) >= _NUM2WORDS_LOOPS_FROM[language]:
        raise TextError(
            f"num2words cannot spell {value} as {kind} in {language!r} (it never returns from "
            f"{_NUM2WORDS_LOOPS_FROM[language]} up); write it as words or digit by digit"
        )
    try:
        return str(num2words(value, lang=language, to=to))
    except NotImplementedError as error:
        raise TextError(
            f"num2words cannot spell numbers in {language!r} ({error}); write the numbers as words"
        ) from error
    except _NUM2WORDS_FAILURES as error:
        raise TextError(
            f"num2words cannot spell {value} as {kind} in {language!r} ({type(error).__name__}); "
            "write it as words or digit by digit"
        ) from error


def _spell_decimal(whole: str, fraction: str, language: str) -> str:
    if language == "ru":
        return _num2words(Decimal(f"{whole}.{fraction}"), language)
    word = _DECIMAL_WORD.get(language)
    if word is None:
        return _num2words(Decimal(f"{whole}.{fraction}"), language)
    digits = " ".join(_num2words(int(digit), language) for digit in fraction)
    return f"{_num2words(int(whole), language)} {word} {digits}"


def minus_word(language: str) -> str:
    """The word num2words puts before a negative number (``minus``, ``moins``)."""
    return _num2words(-1, language).replace(_num2words(1, language), "").strip()


def spell_literal(literal: str, language: str) -> str:
    """An unsigned number written in ``language``'s format (``1,000.5`` in en, ``1.000,5`` in de) as words; more
    than 15 digits are read digit by digit."""
    whole, fraction = split_literal(literal, language)
    if reads_digit_by_digit(whole):
        return " ".join(_num2words(int(digit), language) for digit in whole + fraction)
    return _spell_decimal(whole, fraction, language) if fraction else _num2words(int(whole), language)


def split_literal(literal: str, language: str) -> tuple[str, str]:
    """``(whole, fraction)`` digits of a number written in ``language``'s format (``1.000,5`` -> ``1000``, ``5``)."""
    thousands, decimal = _NUMBER_FORMAT.get(language, (",", "."))
    for separator in thousands:
        literal = literal.replace(separator, "")
    whole, _, fraction = literal.partition(decimal)
    return whole, fraction


def times_power_of_ten(literal: str, language: str, power: int) -> str:
    """``literal`` (in ``language``'s format) times ``10**power``, exactly, written in that format without thousands
    separators: ``2.5`` times 10**3 is ``2500``, ``1,2345`` (de) is ``1234,5``."""
    whole, fraction = split_literal(literal, language)
    digits = whole + fraction.ljust(power, "0")
    whole, fraction = digits[: len(whole) + power].lstrip("0") or "0", digits[len(whole) + power :]
    return f"{whole}{_NUMBER_FORMAT.get(language, (',', '.'))[1]}{fraction}" if fraction else whole


def reads_digit_by_digit(whole: str) -> bool:
    """Whether the whole part of a number is too long to read as one number (15 digits)."""
    return len(whole) > _DIGIT_BY_DIGIT_ABOVE


def number_literal(language: str) -> str:
    """The regular expression of an unsigned number in ``language``'s format: digits with the thousands separator
    between groups of three, and a decimal part (``1,234,567.89`` in en, ``1.234.567,89`` in de)."""
    thousands, decimal = _NUMBER_FORMAT.get(language, (",", "."))
    return rf"(?:\d{{1,3}}(?:[{re.escape(thousands)}]\d{{3}})+|\d+)(?:{re.escape(decimal)}\d+)?"


def _number_reader(language: str) -> Callable[[re.Match[str]], str]:
    def read(match: re.Match[str]) -> str:
        sign, literal = match.group(1), match.group(2)
        spoken = spell_literal(literal, language)
        if reads_digit_by_digit(split_literal(literal, language)[0]):
            return spoken
        return f" {minus_word(language)} {spoken} " if sign else f" {spoken} "

    return read


def _number_pattern(language: str) -> re.Pattern[str]:
    return re.compile(rf"((?<!\S)-(?=\d))?({number_literal(language)})(?!\d)")


def join_digit_groups(text: str, language: str) -> str:
    """Digits grouped by threes read as one number: the groups' separators are removed (``1 000 000`` ->
    ``1000000``). A no-break space groups in every language; a single plain space only in French, Spanish,
    German and Russian, where a space is the thousands separator. The first group has one to three digits and
    does not start with 0, every later group exactly three, and no digit touches either end, so "12 34",
    "0 123", "1 0000" and "2024 100" stay apart; so do digits on either side of a line break or of several spaces."""
    separators = _NO_BREAK_SPACES + (" " if language in _SPACE_GROUPING else "")
    pattern = re.compile(rf"(?<!\d)[1-9]\d{{0,2}}(?:[{separators}]\d{{3}})+(?!\d)")
    return pattern.sub(lambda match: re.sub(rf"[{separators}]", "", match.group()), text)


def join_thousands(text: str, language: str) -> str:
    """Numbers with the language's thousands separator between groups of three lose it (``1,000,000`` ->
    ``1000000`` in zh, where the Chinese reader reads digits only)."""
    thousands = re.escape(_NUMBER_FORMAT.get(language, (",", "."))[0])
    pattern = re.compile(rf"(?<![\d{thousands}])\d{{1,3}}(?:[{thousands}]\d{{3}})+(?![\d{thousands}])")
    return pattern.sub(lambda match: re.sub(rf"[{thousands}]", "", match.group()), text)


def spell_ordinals(text: str, language: str) -> str:
    suffix = _ORDINAL_SUFFIX.get(language)
    if suffix is None:
        return text
    pattern = re.compile(rf"\b(\d+){suffix}")

    def read(match: re.Match[str]) -> str:
        spoken = _num2words(int(match.group(1)), language, to="ordinal")
        if language == "es" and match.group(0).endswith("ª") and spoken.endswith("o"):
            spoken = spoken[:-1] + "a"
        return spoken

    return pattern.sub(read, text)


def num2words_supports(language: str) -> bool:
    from num2words import CONVERTER_CLASSES

    return language in CONVERTER_CLASSES


def spell_numbers(text: str, language: str) -> str:
    """Ordinals (``21st``), then integers and decimals, spelled in ``language``. Languages that num2words does not
    know keep their digits (espeak-ng reads them). A number num2words cannot spell is a :class:`TextError`.
    Digits grouped by spaces are joined before (``normalize`` calls :func:`join_digit_groups`)."""
    if not any(char.isdigit() for char in text) or not num2words_supports(language):
        return text
    text = spell_ordinals(text, language)
    return _number_pattern(language).sub(_number_reader(language), text)
