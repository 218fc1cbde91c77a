"""The page's numbers (``polyvox/web/numbers.js`` and the num2words ports beside it) in headless Chromium
against Python's: num2words' cardinals and ordinals, and ``spell_numbers`` on texts with separators, signs,
decimals and ordinals. Served straight from ``polyvox/web``, so no export and no npm runtime are needed."""

from __future__ import annotations

import dataclasses
import random

import pytest

from polyvox.export.web_browser import browser_missing, chromium, serve
from polyvox.export.web_export import WEB_SOURCE
from polyvox.text.currency import read_money
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
)
from polyvox.text.numbers import join_digit_groups, join_thousands, spell_numbers

pytestmark = pytest.mark.skipif(bool(browser_missing()), reason=browser_missing() or "")

TEXTS = {
    "es": ["Tengo 3 gatos y 1.234.567 euros, -4,5 grados en 1990.", "el 1.º y la 2.ª, el 3º, la 21ª y el 4°",
           "3,14159 y 0,5 y -12 y 1.000,25", "En 2024 o 2.024 o 12.34 o 1234567890123456789", "x-3 a -3 y 12.345.678.901.234"],
    "fr": ["J'ai 3 chats, 1 000 euros, 80 et 81, 71, 91, -4,5 degrés en 1990", "le 1er et le 21e, la 1re, le 3ème, le 5eme, le 9e, le 2e5",
           "1\u202f000 et 1\u00a0000,5 et 3,14 et 200 et 280 et 1000000", "-7 et a-7 et 1234567890123456789 et 12,5e"],
    "de": ["Ich habe 3 Katzen, 1.234.567 Euro, -4,5 Grad im Jahr 1990", "21 und 101 und 1000000 und 2000000 und 3. Mai",
           "3,14 und 1.000,25 und 12.34 und 1234567890123456789", "-1 und 1 und 11 und 1001 und 100000 und 10.000.000"],
    "en": ["The 21st runner paid 5.50 for 1,234,567 tickets at -4 degrees, 3.14159 times in 1990.", "1st 2nd 3rd 11th 112th 1,000,000th"],
}
# Digits grouped by no-break spaces (every language) and plain ones (fr, es, de, ru), and what stays apart.
GROUPED = ["1\u00a0000 et 1\u202f000\u202f000,5 et 3\u2007000.5", "j'ai 3 000 euros, 1 000 000 et 12 345 678",
           "12 34, 0 123, 1 0000, 2024 100, 3\n100, 3  000, 12\u00a034", "a1 000 et 1 000b et 1\u00a0000\u00a0000\u00a0000"]
# Amounts of money (currency.py's read_money): signs before and after, grouped amounts, cents, scale words, US$.
MONEY = {
    "en": ["It costs $1,000,000 now, $1,000.50, $3.5 million, US$5, -$5, £2,500, $1, $0.50, $0.01, £1.01, 5$ and $ 5.",
           "-5 €, $5 billion, US$1,000.50, $12345678901234567.50, $5-$10, ¥500, the $ sign, $01, €1.5, 12.5% and 1,000%"],
    "de": ["€1.000.000, 1.000.000 €, 1.000,50 €, €1.000,50, 12,5%, 1 €, 101 €, 21 €, $1 Million, €3,5 Milliarden",
           "0,01 €, US$1.000, -5 €, £5 und 1,000 $"],
    "fr": ["1000000 €, 1000000\u00a0€, 2500,50 €, €5, 1 €, 21 €, 2 millions €, $3,5 milliards, 0,01 €, 1000 $, 12,5 %, US$5"],
    "es": ["1.000.000 €, €1.000, $1.000.000, $1, $21, 1 €, 21,00 €, $0,01, $3,5 millones, 101 €, -5 €, US$5, 31 €, 1001 €"],
    "zh": ["¥10000和-$5，$5和123元，$1000000，¥3.5", "HK$100和A$5，US$2，NT$30，R$1，C$7和NZ$8，S$9，USD 5，GBP 3，CHF 1"],
}
# Amounts before the noun they describe (a five-dollar bill), abbreviated scales ($5m, €3k, 5 Mio. €, 5 M€, 7bn),
# the prefixed dollars (A$, C$, HK$, NZ$, S$, NT$) and R$, and what stays plural (raised $5 million last year).
MONEY_WORDS = {
    "en": ["A $5 bill, a $20 bill and a $100 note; two $20 bills, the £10 note, a $1.50 coffee, a $0.50 stamp.",
           "Apple's $3 trillion valuation, a $5m deal, an estimated $5 billion in damages, a new $2.5bn plan.",
           "They raised $5 million last year; it's $5 now; the $5 goes to charity; paid $5 cash; a $5 or $10 fee.",
           "$5m, $2.5bn, €3k, $1.5K, US$5bn, £3.5 bn, $7 tn, $5M, $2B, €2.5555k, 7bn people, 5m away, $5 m.",
           "A$20, AU$1, C$5, CA$1.01, HK$100, NZ$5, S$2, SG$3, NT$30, R$1.5 billion, -A$5, 20 A$, a C$5 coin.",
           "the $5-plus ticket, the $5 was stolen, the $5 a-month fee, a $5 Starbucks card, an $8 wristband.",
           "an A$2.47 billion profit, An HK$5 fee, a $8 fee, a $1.4bn quarterly loss, its $6.99-a-month plan, $50-a-barrel",
           "a $5-$10 range, a $5-million deal, a -$5 bill, an $11 ticket, banana $5 bill, a$5 bill, $25,000-a-year jobs",
           "USD 5 million, 20 EUR, a CHF 20 fee, GBP 1.50, JPY 500, ¥500, 5 EURO, EUR5bn, 3 USDC",
           "99p, 1p, a 50p coin, 1080p video, 5.5p, 100p, 5 p, 7pm",
           "$5-$10, $5-10 million, $5–$10, $5bn-$7bn, a $5-$10 fee, $1.50-$2.50, $5 - $10, $5k-$10k, 5-10 €, 1990-2000, $5-€10"],
    "de": ["5 Mio. €, 1 Mio. €, 1,5 Mio. €, €5 Mio. und mehr, 3 k€, 5 Mio. Einwohner, 2 Mrd. Euro, 1 Mrd $",
           "A$20 und £5, HK$1, NT$1 und 2 NT$, C$1.000,50, Es kostet 5 Mio.",
           "Es kostet 20 EUR und CHF 1,50, 5 Mio. EUR, ¥500, 1 GBP, 5-10 €, 1-2 Mio. €, €5-10, 1,50-2,50 €"],
    "fr": ["1,5 M€, 2,5 k€, 1 k€, 3 Mds d'euros, 5 Md€, 2 M$, A$20, HK$1 000, NZ$1, NT$2, R$5, £1, £21, £201, £1,01",
           "20 GBP, 1 GBP, CHF 2, 21 EUR, ¥1, 2 JPY, 5-10 €, 1-2 M€, £1-2"],
    "es": ["1,5 M€, 1 M€, 21 M€, 3 MM$, HK$100, A$1, NZ$2, NT$1, R$21, 2,5 k€, £1 y $5m, £21, £200, £1.000.200, £3 millones",
           "1 GBP, 21 CHF, 3 JPY, USD 1, 200 GBP, 5-10 €, 1-21 €, £1-£200"],
}
SPELL = """async ([kind, language, values]) => {
  const numbers = await import("./numbers.js"), speller = await import(`./num2words_${language}.js`);
  const spell = (value) => kind === "text" ? numbers.spellNumbers(value, language) : speller[kind](BigInt(value));
  return values.map((value) => { try { return spell(value); } catch (error) { if (error instanceof RangeError) return null; throw error; } });
}"""


def _values(seed: int) -> list[int]:
    """Each number to 1,100, each power of ten to 10**15 with its neighbours, and random ones to 15 digits."""
    draw = random.Random(seed)
    edges = [10**power + step for power in range(3, 16) for step in (-1, 0, 1, 100)]
    return [*range(1101), *edges, *(draw.randrange(10 ** draw.randint(2, 15)) for _ in range(500))]


def _ordinal(value: int, language: str) -> str | None:
    """num2words' ordinal, or None where it fails (Spanish just under 10**15..10**18); the page refuses those."""
    from num2words import num2words

    try:
        return str(num2words(value, lang=language, to="ordinal"))
    except (RecursionError, KeyError, OverflowError):
        return None


@pytest.fixture(scope="module")
def page():
    with chromium() as browser, serve(WEB_SOURCE) as url:
        opened = browser.new_page()
        opened.goto(url + "package.json")  # any same-origin document lets the modules be imported
        yield opened
        opened.close()


@pytest.mark.parametrize("language", ["es", "fr", "de"])
def test_cardinals_and_ordinals_equal_num2words(page, language: str) -> None:
    from num2words import num2words

    values = _values(seed=len(language) + ord(language[0]))
    expected = [num2words(value, lang=language) for value in values]
    assert page.evaluate(SPELL, ["cardinal", language, [str(value) for value in values]]) == expected
    if language != "de":  # polyvox reads no German ordinals
        ordinals = values[1:] + [10**18 - 10**6, 10**18 - 1]
        expected = [_ordinal(value, language) for value in ordinals]
        assert page.evaluate(SPELL, ["ordinal", language, [str(value) for value in ordinals]]) == expected


@pytest.mark.parametrize("language", sorted(TEXTS))
def test_texts_equal_spell_numbers(page, language: str) -> None:
    texts = TEXTS[language]
    assert page.evaluate(SPELL, ["text", language, texts]) == [spell_numbers(text, language) for text in texts]


@pytest.mark.parametrize("language", ["en", "es", "fr", "de", "ru", "ja", "zh", "hy"])
def test_digit_groups_join_as_in_python(page, language: str) -> None:
    joined = page.evaluate(
        """async ([language, texts]) => {
          const numbers = await import("./numbers.js");
          return texts.map((text) => numbers.joinDigitGroups(text, language));
        }""",
        [language, GROUPED],
    )
    assert joined == [join_digit_groups(text, language) for text in GROUPED]


def test_currency_tables_equal_python(page) -> None:
    tables = page.evaluate("""async () => {
      const numbers = await import("./numbers.js"), sorted = (set) => [...set].sort();
      const rules = Object.fromEntries(Object.entries(numbers.ATTRIBUTIVE).map(([language, rule]) => [language, {
        determiners: sorted(rule.determiners), modifiers: sorted(rule.modifiers), nouns: sorted(rule.nouns),
        not_nouns: sorted(rule.notNouns), contractions: sorted(rule.contractions)}]));
      return [numbers.CURRENCIES, numbers.SCALES, numbers.SIGNS_BEFORE, numbers.NAMES_AFTER, numbers.SCALE_ABBREVIATIONS,
        Object.fromEntries(Object.entries(numbers.SIGN_ONLY_SCALES).map(([language, written]) => [language, sorted(written)])),
        numbers.THOUSAND_ABBREVIATIONS, rules, numbers.LETTER_UNITS, numbers.RANGE_WORDS];
    }""")
    languages = ("en", "es", "fr", "de")
    expected = {
        language: {
            sign: [list(unit.forms), list(unit.cents), *([True] if unit.feminine else [])]
            for sign, unit in CURRENCIES[language].items()
        }
        for language in languages
    }
    rules = {
        language: {field.name: sorted(getattr(rule, field.name)) for field in dataclasses.fields(rule)}
        for language, rule in ATTRIBUTIVE.items()
    }
    assert tables == [
        expected,
        {language: list(SCALES[language]) for language in languages},
        list(SIGNS_BEFORE),
        {language: dict(names) for language, names in NAMES_AFTER.items()},
        {language: {written: list(forms) for written, forms in SCALE_ABBREVIATIONS[language].items()} for language in languages},
        {language: sorted(written) for language, written in SIGN_ONLY_SCALES.items()},
        {language: list(THOUSAND_ABBREVIATIONS[language]) for language in languages},
        rules,
        {language: {letter: [list(unit.forms), list(unit.cents)] for letter, unit in units.items()}
         for language, units in LETTER_UNITS.items()},
        dict(RANGE_WORDS),
    ]


@pytest.mark.parametrize("language", sorted(MONEY))
def test_money_reads_as_in_python(page, language: str) -> None:
    texts = MONEY[language] + MONEY_WORDS.get(language, [])
    read = page.evaluate(
        """async ([language, texts]) => {
          const numbers = await import("./numbers.js");
          return texts.map((text) => numbers.readMoney(language === "zh" ? numbers.joinThousands(text) : text, language));
        }""",
        [language, texts],
    )
    prepared = [join_thousands(text, language) if language == "zh" else text for text in texts]
    assert read == [read_money(text, language) for text in prepared]
