from __future__ import annotations

import pytest

from polyvox.text import normalize
from polyvox.text.chinese_numbers import read_integer, read_number


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("en", "I have 3 cats and 2.5 dogs.", "I have three cats and two point five dogs."),
        ("en", "It costs 1,000 dollars, -4 today.", "It costs one thousand dollars, minus four today."),
        ("en", "the 21st time at 50%", "the twenty-first time at fifty percent"),
        ("es", "Tengo 25 años y 3,5 euros.", "Tengo veinticinco años y tres coma cinco euros."),
        ("fr", "J'ai 2 chats, le 1er mai.", "J'ai deux chats, le premier mai."),
        ("de", "Ich habe 1.000 Bücher und 3,5 Euro.", "Ich habe eintausend Bücher und drei Komma fünf Euro."),
        ("ru", "У меня 5 книг.", "У меня пять книг."),
        ("ar", "عندي ٣ قطط", "عندي ثلاثة قطط"),
        ("ja", "りんごを３個", "りんごを三個"),
        ("zh", "我有2024个苹果，3.5公斤，50%", "我有二千零二十四个苹果，三点五公斤，百分之五十"),
        ("zh", "2024年", "二零二四年"),
    ],
)
def test_numbers(language: str, text: str, expected: str) -> None:
    assert normalize(text, language) == expected


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("en", "Mr. Smith and Dr. Who, e.g. here.", "mister Smith and doctor Who, for example here."),
        ("en", "Tom & Jerry", "Tom and Jerry"),
        ("de", "Das ist z.B. Nr. 5.", "Das ist zum Beispiel Nummer fünf."),
        ("fr", "M. Dupont et Mme Durand", "monsieur Dupont et madame Durand"),
        ("es", "El Sr. García y la Sra. López", "El señor García y la señora López"),
        ("ru", "кошки, собаки и т.д.", "кошки, собаки и так далее"),
    ],
)
def test_abbreviations_and_symbols(language: str, text: str, expected: str) -> None:
    assert normalize(text, language) == expected


def test_unicode_and_whitespace() -> None:
    assert normalize("  Cafe\u0301 \n\t au   lait ", "fr") == "Café au lait"


@pytest.mark.parametrize(
    ("number", "expected"),
    [(0, "零"), (10, "十"), (12, "十二"), (101, "一百零一"), (110, "一百一十"), (2024, "二千零二十四"),
     (10001, "一万零一"), (100000, "十万"), (123456789, "一亿二千三百四十五万六千七百八十九")],
)
def test_chinese_integers(number: int, expected: str) -> None:
    assert read_integer(number) == expected


def test_chinese_decimals() -> None:
    assert read_number("3.5") == "三点五"
    assert read_number("-0.05") == "负零点零五"
