"""Amounts of money and percentages read as a reader says them: ``$1,000,000`` -> one million dollars,
``$1,000.50`` -> one thousand dollars and fifty cents, ``$3.5 million`` -> three point five million dollars,
``US$5`` -> five US dollars, ``1 000 000 €`` -> un million d'euros, ``€1.000.000`` -> eine Million Euro.

The sign may stand before the amount or after it; the amount is written in the language's number format
(:func:`polyvox.text.numbers.number_literal`), so every group of ``1,000,000`` belongs to it. The unit agrees
with the amount (one dollar, two dollars; Russian один доллар, два доллара, пять долларов), a two-digit
fraction of a currency with cents is read as cents, and French and Spanish put ``de`` after a million
(un millón de euros). Languages without a table here keep the sign, moved after its whole amount, for
:func:`polyvox.text.abbreviations.expand_symbols` (Mandarin reads 美元 after the number: 五美元).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from polyvox.text.numbers import minus_word, number_literal, reads_digit_by_digit, spell_literal, split_literal


@dataclass(frozen=True)
class Unit:
    """What an amount is counted in: ``forms`` by plural class (see :func:`_plural_class`; one form for a word
    that does not change), ``cents`` the hundredth's forms, empty where a fraction is read as a decimal."""

    forms: tuple[str, ...]
    cents: tuple[str, ...] = ()


_DOLLAR_CENTS = {"en": ("cent", "cents"), "de": ("Cent",), "fr": ("cent", "cents"), "es": ("centavo", "centavos")}
# Sign (as written before or after the amount) -> unit, per language. "%" is here only where its word agrees with
# the number (ru); elsewhere abbreviations.SYMBOLS reads it.
CURRENCIES: Mapping[str, Mapping[str, Unit]] = {
    "en": {
        "US$": Unit(("US dollar", "US dollars"), _DOLLAR_CENTS["en"]),
        "$": Unit(("dollar", "dollars"), _DOLLAR_CENTS["en"]),
        "€": Unit(("euro", "euros"), ("cent", "cents")),
        "£": Unit(("pound", "pounds"), ("penny", "pence")),
    },
    "de": {
        "US$": Unit(("US-Dollar",), _DOLLAR_CENTS["de"]),
        "$": Unit(("Dollar",), _DOLLAR_CENTS["de"]),
        "€": Unit(("Euro",), ("Cent",)),
    },
    "fr": {
        "US$": Unit(("dollar américain", "dollars américains"), _DOLLAR_CENTS["fr"]),
        "$": Unit(("dollar", "dollars"), _DOLLAR_CENTS["fr"]),
        "€": Unit(("euro", "euros"), ("centime", "centimes")),
    },
    "es": {
        "US$": Unit(("dólar estadounidense", "dólares estadounidenses"), _DOLLAR_CENTS["es"]),
        "$": Unit(("dólar", "dólares"), _DOLLAR_CENTS["es"]),
        "€": Unit(("euro", "euros"), ("céntimo", "céntimos")),
    },
    "ru": {
        "US$": Unit(("доллар США", "доллара США", "долларов США"), ("цент", "цента", "центов")),
        "$": Unit(("доллар", "доллара", "долларов"), ("цент", "цента", "центов")),
        "€": Unit(("евро",), ("цент", "цента", "центов")),
        "%": Unit(("процент", "процента", "процентов")),
    },
    "ar": {"$": Unit(("دولار",)), "€": Unit(("يورو",))},
    "ja": {"$": Unit(("ドル",)), "€": Unit(("ユーロ",)), "¥": Unit(("円",)), "￥": Unit(("円",))},
}
# Signs that stand before an amount (in any language): a language's table is searched for them, and languages
# without one move them after the amount.
SIGNS_BEFORE = ("US$", "$", "€", "£", "¥", "￥")
# Words of scale written after the amount ("$3.5 million"): the unit follows them.
SCALES: Mapping[str, tuple[str, ...]] = {
    "en": ("thousand", "million", "billion", "trillion"),
    "de": ("Million", "Millionen", "Milliarde", "Milliarden", "Billion", "Billionen"),
    "fr": ("million", "millions", "milliard", "milliards"),
    "es": ("millón", "millones", "billón", "billones"),
    "ru": ("тысяча", "тысячи", "тысяч", "миллион", "миллиона", "миллионов", "миллиард", "миллиарда", "миллиардов"),
}
# How whole units and cents are joined: one thousand dollars and fifty cents.
_CENTS_JOINER: Mapping[str, str] = {"en": "and", "de": "und", "fr": "et", "es": "con", "ru": ""}
# After these words French and Spanish count with "de" (un millón de euros, deux millions de dollars).
_OF_AFTER: Mapping[str, re.Pattern[str]] = {
    "fr": re.compile(r"\b(?:millions?|milliards?)$"),
    "es": re.compile(r"\b(?:millón|millones|billón|billones)$"),
}


def _plural_class(language: str, whole: int, fraction: bool, scaled: bool) -> int:
    """Which of a unit's forms follows the amount: 0 for one, 1 for other amounts; Russian 0 (1, 21), 1 (2-4,
    22-24, and fractions: the genitive singular), 2 (5-20, 0, and after a word of scale: the genitive plural)."""
    if language != "ru":
        return 0 if whole == 1 and not fraction and not scaled else 1
    if scaled:
        return 2
    if fraction:
        return 1
    if whole % 10 == 1 and whole % 100 != 11:
        return 0
    return 1 if 2 <= whole % 10 <= 4 and not 12 <= whole % 100 <= 14 else 2


def _count(spoken: str, language: str, scaled: bool) -> str:
    """A whole number said before its noun: Spanish un, veintiún (not uno); German ein (eine before Million)."""
    if language == "es":
        return re.sub(r"\buno$", "un", re.sub(r"veintiuno$", "veintiún", spoken))
    if language == "de":
        return re.sub(r"eins$", "eine" if scaled else "ein", spoken)
    return spoken


def _counted(amount: str, forms: tuple[str, ...], language: str, plural_class: int) -> str:
    """``amount unit``, with ``de`` after a million in French and Spanish."""
    unit = forms[min(plural_class, len(forms) - 1)]
    of = _OF_AFTER.get(language)
    if of is not None and of.search(amount):
        unit = f"d'{unit}" if language == "fr" and unit[0] in "aeiouéèêh" else f"de {unit}"
    return f"{amount} {unit}"


def _whole(number: int, forms: tuple[str, ...], language: str) -> str:
    """A whole number of units (one dollar, fifty cents)."""
    spoken = _count(spell_literal(str(number), language), language, scaled=False)
    return _counted(spoken, forms, language, _plural_class(language, number, fraction=False, scaled=False))


def read_amount(literal: str, scale: str | None, unit: Unit, language: str) -> str:
    """An unsigned amount (``1,000.50``, or ``3.5`` with ``scale`` million) in ``unit`` as words."""
    whole, fraction = split_literal(literal, language)
    if unit.cents and len(fraction) == 2 and scale is None and not reads_digit_by_digit(whole):
        units, cents = int(whole), int(fraction)
        parts = [_whole(units, unit.forms, language)] if units or not cents else []
        if cents:
            parts.append(_whole(cents, unit.cents, language))
        joiner = _CENTS_JOINER[language]
        return (f" {joiner} " if joiner else " ").join(parts)
    scaled = scale is not None
    spoken = spell_literal(literal, language)
    if not fraction:
        spoken = _count(spoken, language, scaled)
    if scaled:
        spoken = f"{spoken} {scale}"
    return _counted(spoken, unit.forms, language, _plural_class(language, int(whole), bool(fraction), scaled))


def _alternatives(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


def _move_signs_after(text: str, literal: str) -> str:
    before = re.compile(rf"((?<!\S)-)?({_alternatives(SIGNS_BEFORE)})\s?({literal})(?!\d)")
    return before.sub(lambda match: f"{match.group(1) or ''}{match.group(3)} {match.group(2)}", text)


def read_money(text: str, language: str) -> str:
    """Amounts with a currency sign before or after them (and Russian percentages) as words. Signs the
    language's table (:data:`CURRENCIES`) lacks are moved after their whole amount (``$1,000`` -> ``1,000 $``),
    for :func:`polyvox.text.abbreviations.expand_symbols` to name."""
    literal = number_literal(language)
    table = CURRENCIES.get(language, {})
    if table:
        scales = SCALES.get(language, ())
        scale = rf"(?:\s({_alternatives(scales)})\b)?" if scales else "()"
        signs_before = _alternatives(tuple(sign for sign in table if sign in SIGNS_BEFORE))
        before = re.compile(rf"((?<!\S)-)?(?<![^\W\d_])({signs_before})\s?({literal})(?!\d){scale}")
        after = re.compile(rf"((?<!\S)-)?(?<!\w)({literal}){scale}\s?({_alternatives(tuple(table))})")

        def say(minus: str | None, sign: str, amount: str, scale_word: str | None) -> str:
            spoken = read_amount(amount, scale_word, table[sign], language)
            return f" {minus_word(language)} {spoken} " if minus else f" {spoken} "

        text = before.sub(lambda match: say(match.group(1), match.group(2), match.group(3), match.group(4)), text)
        text = after.sub(lambda match: say(match.group(1), match.group(4), match.group(2), match.group(3)), text)
    return _move_signs_after(text, literal)
