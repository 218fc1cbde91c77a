"""Amounts of money and percentages read as a reader says them: ``$1,000,000`` -> one million dollars,
``$1,000.50`` -> one thousand dollars and fifty cents, ``$3.5 million`` and ``$3.5m`` -> three point five million
dollars, ``€3k`` -> three thousand euros, ``US$5`` -> five US dollars, ``A$20`` -> twenty Australian dollars,
``a $5 bill`` -> a five-dollar bill, ``1 000 000 €`` -> un million d'euros, ``5 Mio. €`` -> fünf Millionen Euro,
``$5`` (ar) -> خمسة دولارات.

The sign may stand before the amount or after it; the amount is written in the language's number format
(:func:`polyvox.text.numbers.number_literal`), so every group of ``1,000,000`` belongs to it. The unit agrees
with the amount (one dollar, two dollars; Russian один доллар, два доллара, пять долларов; Arabic دولار واحد،
دولاران، خمسة دولارات، عشرون دولاراً، مائة دولار), a two-digit fraction of a currency with cents is read as cents,
French and Spanish put ``de`` after a million (un millón de euros), and in English an amount followed by the noun
it describes takes the singular (see :class:`polyvox.text.currency_units.Attributive`). The words are in
:mod:`polyvox.text.currency_units`. Languages without a table there keep the sign, moved after its whole amount,
for :func:`polyvox.text.abbreviations.expand_symbols` (Mandarin reads 美元 after the number: 五美元; the prefixed
dollars are named there: HK$100 -> 100港元).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from polyvox.text.currency_units import (
    ATTRIBUTIVE,
    CURRENCIES,
    LETTER_UNITS,
    NAMES_AFTER,
    RANGE_WORDS,
    SCALE_ABBREVIATIONS,
    SCALES,
    SIGN_ONLY_SCALES,
    SIGNS_BEFORE,
    THOUSAND_ABBREVIATIONS,
    Attributive,
    Unit,
)
from polyvox.text.numbers import (
    minus_word,
    number_literal,
    reads_digit_by_digit,
    spell_literal,
    split_literal,
    times_power_of_ten,
)

__all__ = ["CURRENCIES", "SCALES", "SIGNS_BEFORE", "Unit", "read_amount", "read_money"]


# How whole units and cents are joined: one thousand dollars and fifty cents.
_CENTS_JOINER: Mapping[str, str] = {"en": "and", "de": "und", "fr": "et", "es": "con", "ru": "", "ar": "و"}
# After these words French and Spanish count with "de" (un millón de euros, deux millions de dollars).
_OF_AFTER: Mapping[str, re.Pattern[str]] = {
    "fr": re.compile(r"\b(?:millions?|milliards?)$"),
    "es": re.compile(r"\b(?:millón|millones|billón|billones)$"),
}
_ARABIC_ONE = "واحد"
_MILLIONS = re.compile(r"(?:llón|llones) ")
# The word after an amount, and the words before it (a determiner and up to two modifiers: an estimated $5 billion).
_NEXT_WORD = re.compile(r"\s+([A-Za-z][A-Za-z'’-]*)")
_HYPHENED_WORD = re.compile(r"-([A-Za-z]+)")
_SCALE_WORDS = frozenset(SCALES["en"])
# An English article before an amount: it agrees with the amount as said (an A$8 fee -> an eight-...; an HK$5 fee
# -> a five-...).
_ARTICLE = r"((?<![\w'’-])(?:an?|An?|AN)\s+)?"
_POSSESSIVE = re.compile(r"\w['’]s$")


def _plural_class(language: str, whole: int, fraction: bool, scaled: bool) -> int:
    """Which of a unit's forms follows the amount: 0 for one, 1 for other amounts; Russian 0 (1, 21), 1 (2-4,
    22-24, and fractions: the genitive singular), 2 (5-20, 0, and after a word of scale: the genitive plural);
    Arabic by the last two digits: 1 (2, the dual), 2 (3-10, the plural), 3 (11-99, the accusative singular), 0
    (1, 0, 100, 1000 and their multiples, 101, 102, fractions, after a word of scale: the genitive singular)."""
    if language == "ar":
        rest = whole % 100
        if fraction or scaled or whole == 1:
            return 0
        return 1 if whole == 2 else 2 if 3 <= rest <= 10 else 3 if rest >= 11 else 0
    if language != "ru":
        return 0 if whole == 1 and not fraction and not scaled else 1
    if scaled:
        return 2
    if fraction:
        return 1
    if whole % 10 == 1 and whole % 100 != 11:
        return 0
    return 1 if 2 <= whole % 10 <= 4 and not 12 <= whole % 100 <= 14 else 2


def _count(spoken: str, language: str, scaled: bool, feminine: bool = False) -> str:
    """A whole number said before its noun: Spanish un, veintiún (not uno); German ein (eine before Million); before
    a feminine noun French une, Spanish una, doscientas (the part after millón only: doscientos millones de libras)."""
    if feminine and not scaled and language == "fr":
        return re.sub(r"\bun$", "une", spoken)
    if feminine and not scaled and language == "es":
        cut = max((match.end() for match in _MILLIONS.finditer(spoken)), default=0)
        return spoken[:cut] + re.sub(r"uno$", "una", spoken[cut:].replace("ientos", "ientas"))
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


def _whole(number: int, forms: tuple[str, ...], language: str, feminine: bool = False) -> str:
    """A whole number of units (one dollar, fifty cents; Arabic دولار واحد, دولاران: the unit alone, or first)."""
    if language == "ar" and number in (1, 2):
        return f"{forms[0]} {_ARABIC_ONE}" if number == 1 else forms[min(1, len(forms) - 1)]
    spoken = _count(spell_literal(str(number), language), language, scaled=False, feminine=feminine)
    return _counted(spoken, forms, language, _plural_class(language, number, fraction=False, scaled=False))


def _reads_cents(unit: Unit, whole: str, fraction: str, scale: str | None) -> bool:
    return bool(unit.cents) and len(fraction) == 2 and scale is None and not reads_digit_by_digit(whole)


def _attributive(literal: str, scale: str | None, unit: Unit, language: str) -> str:
    """An amount before the noun it describes, as one hyphenated word with its unit in the singular: five-dollar,
    five-million-dollar, one-dollar-fifty, fifty-cent."""
    whole, fraction = split_literal(literal, language)
    if _reads_cents(unit, whole, fraction, scale):
        units, cents = int(whole), int(fraction)
        cents_words = [spell_literal(str(cents), language)] if cents else []
        units_words = [spell_literal(whole, language), unit.forms[0]]
        words = [*units_words, *cents_words] if units else [*cents_words, unit.cents[0]]
    else:
        words = [spell_literal(literal, language), *([scale] if scale else []), unit.forms[0]]
    return re.sub(r",?\s+", "-", " ".join(words))


def read_amount(literal: str, scale: str | None, unit: Unit, language: str, attributive: bool = False) -> str:
    """An unsigned amount (``1,000.50``, or ``3.5`` with ``scale`` million) in ``unit`` as words; ``attributive``:
    before the noun it describes (a five-dollar bill: see :func:`_attributive`)."""
    if attributive:
        return _attributive(literal, scale, unit, language)
    whole, fraction = split_literal(literal, language)
    if _reads_cents(unit, whole, fraction, scale):
        units, cents = int(whole), int(fraction)
        parts = [_whole(units, unit.forms, language, unit.feminine)] if units or not cents else []
        if cents:
            parts.append(_whole(cents, unit.cents, language))
        joiner = _CENTS_JOINER[language]
        return (f" {joiner} " if joiner else " ").join(parts)
    scaled = scale is not None
    if not fraction and not scaled and not reads_digit_by_digit(whole):
        return _whole(int(whole), unit.forms, language, unit.feminine)
    spoken = spell_literal(literal, language)
    if not fraction:
        spoken = _count(spoken, language, scaled, unit.feminine)
    if scaled and language == "ar" and whole == "1" and not fraction:
        spoken = str(scale)  # مليار دولار, not واحد مليار دولار
    elif scaled:
        spoken = f"{spoken} {scale}"
    return _counted(spoken, unit.forms, language, _plural_class(language, int(whole), bool(fraction), scaled))


def _alternatives(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(word) for word in sorted(words, key=len, reverse=True))


def _scale_pattern(language: str) -> str:
    """The regular expression of the scale after an amount, as one group: a word after a space ($3.5 million), an
    abbreviation (5 Mio., $5 bn; in English one letter only against the number: $5m, €3k), or nothing."""
    abbreviations = (*SCALE_ABBREVIATIONS.get(language, {}), *THOUSAND_ABBREVIATIONS.get(language, ()))
    attached = tuple(written for written in abbreviations if language == "en" and len(written) == 1)
    spaced = tuple(written for written in abbreviations if written not in attached)
    options = [rf"\s(?:{_alternatives(SCALES[language])})"] if language in SCALES else []
    options += [rf"\s?(?:{_alternatives(spaced)})"] if spaced else []
    options += [f"(?:{_alternatives(attached)})"] if attached else []
    return rf"((?:{'|'.join(options)})(?!\w))?" if options else "()"


def _scale_form(language: str, whole: int, fraction: bool, forms: tuple[str, ...]) -> str:
    """The form of an abbreviated scale after a number: one million, two millions; French un virgule cinq million;
    Russian by plural class."""
    if language == "ru":
        index = _plural_class(language, whole, fraction, scaled=False)
    elif language == "fr":
        index = 0 if whole < 2 else 1
    else:
        index = 0 if whole == 1 and not fraction else 1
    return forms[min(index, len(forms) - 1)]


def _scaled(literal: str, written: str | None, language: str) -> tuple[str, str | None]:
    """The amount and its scale word from the amount and the scale as written: ``2.5``, ``bn`` -> ``2.5``,
    billion; ``3``, ``k`` -> ``3000``, none."""
    if not written:
        return literal, None
    written = written.strip()
    if written in THOUSAND_ABBREVIATIONS.get(language, ()):
        return times_power_of_ten(literal, language, 3), None
    forms = SCALE_ABBREVIATIONS.get(language, {}).get(written)
    if forms is None:
        return literal, written
    whole, fraction = split_literal(literal, language)
    return literal, _scale_form(language, int(whole), bool(fraction), forms)


def _after_determiner(before: str, rules: Attributive) -> bool:
    """Whether ``before`` ends with a determiner or a possessive, and at most two modifiers after it."""
    if before and not before[-1].isspace():
        return False
    for word in reversed(before.split()[-3:]):
        lowered = word.lower()
        if lowered in rules.determiners or (_POSSESSIVE.search(lowered) and lowered not in rules.contractions):
            return True
        if lowered not in rules.modifiers:
            return False
    return False


def _is_attributive(text: str, start: int, end: int, rules: Attributive) -> bool:
    """Whether the amount at ``text[start:end]`` describes the noun after it (see :class:`Attributive`), or is
    joined to the words after it by a hyphen ($6.99-a-month, $5-plus; not $5-million)."""
    hyphened = _HYPHENED_WORD.match(text, end)
    if hyphened is not None:
        return hyphened.group(1).lower() not in _SCALE_WORDS
    following = _NEXT_WORD.match(text, end)
    if following is None:
        return False
    word = following.group(1).lower()
    if word in rules.nouns:
        return True
    verb_like = (word.endswith("ly") and word not in rules.modifiers) or (
        len(word) > 4 and word.endswith("ed") and not word.endswith("eed")
    )
    return not (word in rules.not_nouns or verb_like) and _after_determiner(text[:start], rules)


def _article(written: str, spoken: str) -> str:
    """The English article before an amount as it is said: an eight-dollar fee, a twenty Australian dollar..."""
    article = "an" if spoken.lstrip().startswith(("eight", "eleven")) else "a"
    return article.capitalize() if written[0].isupper() else article


def _spoken(minus: str | None, spoken: str, match: re.Match[str], language: str, attributive: bool = False) -> str:
    """An amount read, with its minus, between spaces; an abbreviation's dot that also ended the text is kept, and an
    amount hyphened to the words after it stays joined to them ($5-plus -> five-dollar-plus)."""
    after = match.string[match.end() :]
    stop = "." if match.group().endswith(".") and not after.strip() else ""
    end = "" if attributive and _HYPHENED_WORD.match(after) else " "
    return (f" {minus_word(language)} {spoken}{end}" if minus else f" {spoken}{end}") + stop


def _range(first: str, written: str | None, second: str, unit: Unit, language: str, attributive: bool) -> str:
    """A range read with its unit once, after the second amount (``second``, already read): five to ten dollars,
    five billion to seven billion dollars, a five-to-ten-dollar fee; amounts with cents are read whole."""
    first, scale_word = _scaled(first, written, language)
    whole, fraction = split_literal(first, language)
    if _reads_cents(unit, whole, fraction, scale_word):
        head = read_amount(first, None, unit, language)
    else:
        number = spell_literal(first, language)
        number = number if fraction else _count(number, language, scaled=False, feminine=unit.feminine)
        head = " ".join([number, *([scale_word] if scale_word else [])])
    if attributive:
        return re.sub(r",?\s+", "-", f"{head} {RANGE_WORDS[language]}") + f"-{second}"
    return f"{head} {RANGE_WORDS[language]} {second}"


def _move_signs_after(text: str, literal: str, language: str) -> str:
    before = re.compile(rf"((?<!\S)-)?({_alternatives(SIGNS_BEFORE)})\s?({literal})(?!\d)")
    names = NAMES_AFTER.get(language, {})

    def move(match: re.Match[str]) -> str:
        minus, sign, amount = match.group(1, 2, 3)
        return f"{minus or ''}{amount} {names.get(sign, sign)}"

    return before.sub(move, text)


def _read_scales(text: str, literal: str, language: str) -> str:
    """Numbers with an abbreviated scale and no currency sign (7bn people, 5 Mio. Euro, 3 Mds d'euros)."""
    abbreviations = {
        written: forms for written, forms in SCALE_ABBREVIATIONS.get(language, {}).items()
        if written not in SIGN_ONLY_SCALES.get(language, ())
    }
    if not abbreviations:
        return text
    pattern = re.compile(rf"((?<!\S)-)?(?<![\w.,])({literal})\s?({_alternatives(tuple(abbreviations))})(?!\w)")

    def read(match: re.Match[str]) -> str:
        whole, fraction = split_literal(match.group(2), language)
        spoken = spell_literal(match.group(2), language)
        if not fraction:
            spoken = _count(spoken, language, scaled=True)
        scale = _scale_form(language, int(whole), bool(fraction), abbreviations[match.group(3)])
        return _spoken(match.group(1), f"{spoken} {scale}", match, language)

    return pattern.sub(read, text)


def read_money(text: str, language: str) -> str:
    """Amounts with a currency sign before or after them (and Russian percentages) as words, then numbers with an
    abbreviated scale (7bn, 5 Mio.). Signs the language's table (:data:`CURRENCIES`) lacks are moved after their
    whole amount (``$1,000`` -> ``1,000 $``), for :func:`polyvox.text.abbreviations.expand_symbols` to name."""
    literal = number_literal(language)
    table = CURRENCIES.get(language, {})
    if table:
        scale = _scale_pattern(language)
        signs_before = _alternatives(tuple(sign for sign in table if sign in SIGNS_BEFORE))
        rules = ATTRIBUTIVE.get(language)
        article = _ARTICLE if rules is not None else "()"
        before = re.compile(rf"{article}((?<!\S)-)?(?<![^\W\d_])({signs_before})\s?({literal})(?!\d){scale}")
        signs = _alternatives(tuple(table))
        after = re.compile(rf"((?<!\S)-)?(?<!\w)({literal}){scale}\s?({signs})(?![A-Za-z])")
        range_before = re.compile(
            rf"{article}(?<![^\W\d_])({signs_before})\s?({literal}){scale}\s?[-–]\s?(?:\2)?({literal})(?!\d){scale}"
        )
        range_after = re.compile(rf"(?<!\w)({literal})\s?[-–]\s?({literal}){scale}\s?({signs})(?![A-Za-z])")

        def say(match: re.Match[str], article: str | None, minus: str | None, sign: str, amount: str,
                written: str | None, first: tuple[str, str | None] | None = None) -> str:
            amount, scale_word = _scaled(amount, written, language)
            start = match.start() + len(article or "")
            attributive = not minus and rules is not None and _is_attributive(match.string, start, match.end(), rules)
            spoken = read_amount(amount, scale_word, table[sign], language, attributive)
            if first is not None:
                spoken = _range(*first, spoken, table[sign], language, attributive)
            spoken = _spoken(minus, spoken, match, language, attributive)
            return f"{_article(article, spoken)} {spoken}" if article else spoken

        if language in RANGE_WORDS:
            text = range_before.sub(
                lambda match: say(match, match.group(1), None, *match.group(2, 5, 6), first=match.group(3, 4)), text
            )
            text = range_after.sub(lambda match: say(match, None, None, *match.group(4, 2, 3), first=(match.group(1), None)), text)
        text = before.sub(lambda match: say(match, *match.group(1, 2, 3, 4, 5)), text)
        text = after.sub(lambda match: say(match, None, *match.group(1, 4, 2, 3)), text)
    for letter, unit in LETTER_UNITS.get(language, {}).items():
        pattern = re.compile(rf"(?<![\w.,])(\d{{1,2}}){re.escape(letter)}(?!\w)")
        text = pattern.sub(lambda match, unit=unit: f" {read_amount(match.group(1), None, unit, language)} ", text)
    return _read_scales(_move_signs_after(text, literal, language), literal, language)
