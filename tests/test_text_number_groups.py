"""Digits grouped by spaces (``1 000 000``) and numbers num2words cannot spell, as ``normalize`` reads them.

The rule (``polyvox.text.numbers.join_digit_groups``): a no-break space (U+00A0, U+202F, U+2007) between groups of
three digits joins them in every language; a single plain space does in fr, es, de, ru, where a space is the
thousands separator, and not in English and the others, where it separates two numbers."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from polyvox.text import normalize
from polyvox.text.errors import TextError
from polyvox.text.numbers import join_digit_groups, num2words_supports
from polyvox.text.sentences import split_sentences

NBSP, NNBSP, FIGURE_SPACE = "\u00a0", "\u202f", "\u2007"


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("fr", f"1{NBSP}000", "mille"),
        ("fr", f"1{NNBSP}000{NNBSP}000 d'habitants", "un million d'habitants"),
        ("fr", f"1{NNBSP}000,5 et 12{NBSP}345{NBSP}678", "mille virgule cinq et douze millions trois cent quarante-cinq mille six cent soixante-dix-huit"),
        ("fr", f"le 1{NBSP}000e", "le millième"),
        ("fr", f"€2{NBSP}500", "deux mille cinq cents euros"),
        ("en", f"1{NBSP}000{NBSP}000 and 3{FIGURE_SPACE}000.5", "one million and three thousand point five"),
        ("en", f"${NNBSP}1{NBSP}000", "one thousand dollars"),
        ("es", f"2{NBSP}500 pesos", "dos mil quinientos pesos"),
        ("de", f"10{NNBSP}000 Euro", "zehntausend Euro"),
        ("ru", f"1{NBSP}000", "одна тысяча"),
        ("ar", f"5{NBSP}000", "خمسة آلاف"),
        ("ja", f"1{NBSP}000", "千"),
        ("zh", f"1{NBSP}000", "一千"),
        ("it", f"1{NBSP}000", "mille"),
    ],
)
def test_no_break_space_groups_digits_in_every_language(language: str, text: str, expected: str) -> None:
    assert normalize(text, language) == expected


def test_no_break_space_groups_digits_espeak_reads() -> None:
    """Languages num2words does not know keep their digits for espeak-ng: one number, not two."""
    assert not num2words_supports("hy")
    assert normalize(f"1{NBSP}000{NNBSP}000", "hy") == "1000000"


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("fr", "J'ai 3 000 euros.", "J'ai trois mille euros."),
        ("fr", "1 000 000 d'habitants, 1 000,5 litres", "un million d'habitants, mille virgule cinq litres"),
        ("es", "Tengo 2 500 pesos.", "Tengo dos mil quinientos pesos."),
        ("de", "Ich habe 10 000 Euro.", "Ich habe zehntausend Euro."),
        ("ru", "1 000 рублей", "одна тысяча рублей"),
    ],
)
def test_plain_space_groups_digits_where_it_is_the_thousands_separator(language: str, text: str, expected: str) -> None:
    assert normalize(text, language) == expected


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("en", "3 000", "three zero"),  # English groups with commas: a plain space separates two numbers
        ("en", "in 1990 250 people", "in one thousand, nine hundred and ninety two hundred and fifty people"),
        ("ja", "3 000", "三零"),
        ("fr", "12 34", "douze trente-quatre"),  # groups after the first have three digits
        ("fr", "0 123", "zéro cent vingt-trois"),  # a first group does not start with 0
        ("fr", "1 0000", "un zéro"),
        ("fr", "en 2024 100 personnes", "en deux mille vingt-quatre cent personnes"),
        ("fr", "Étape 3\n100 g", "Étape trois cent g"),  # a line break or several spaces separate
        ("fr", "3  000", "trois zéro"),
        ("fr", f"12{NBSP}34", "douze trente-quatre"),
    ],
)
def test_other_spaces_between_digits_separate_numbers(language: str, text: str, expected: str) -> None:
    assert normalize(text, language) == expected


@pytest.mark.parametrize(
    ("language", "expected"),
    [("fr", ["A mille b.", "C trois cent d."]), ("en", ["A one thousand b.", "C three one hundred d."])],
)
def test_sentence_splitting_keeps_what_groups_digits(language: str, expected: list[str]) -> None:
    """split_sentences runs before normalize: it keeps whitespace between digits as written."""
    sentences = split_sentences(f"A 1{NNBSP}000  b.  C 3\n100\td.", language)
    assert sentences == [f"A 1{NNBSP}000 b.", "C 3\n100 d."]
    assert [normalize(sentence, language) for sentence in sentences] == expected


def test_join_digit_groups() -> None:
    assert join_digit_groups(f"1{NBSP}234{NNBSP}567 and 8 901", "en") == "1234567 and 8 901"
    assert join_digit_groups(f"1{NBSP}234 567 et 8 901", "fr") == "1234567 et 8901"


@pytest.mark.parametrize(
    ("language", "text"),
    [
        ("es", "El 999999999999999º"),  # num2words recurses without end
        ("es", "El 9999999999999999º"),
        ("es", "El 99999999999999999.º"),
        ("es", "El 999999999999999999ª"),  # num2words has no ordinal stem for 10**18 (KeyError)
        ("es", "El 1999999999999999º"),
        ("es", f"El {10**27}º"),  # above num2words' largest Spanish scale (OverflowError)
        ("cs", "-5"),  # num2words refuses -1 in Czech (ValueError)
        ("kn", "12345678901"),  # above num2words' largest Kannada scale (OverflowError)
        ("am", "1234"),  # num2words' Amharic merge fails (TypeError)
        ("am", "1965187"),  # and from a million up it never returns: refused before it is asked
    ],
)
def test_number_num2words_cannot_spell_is_a_text_error(language: str, text: str) -> None:
    with pytest.raises(TextError, match="num2words cannot spell .* write it as words or digit by digit"):
        normalize(text, language)


def test_say_refuses_an_unspellable_ordinal_in_one_line(tmp_path) -> None:
    from polyvox.cli import app

    result = CliRunner().invoke(app, ["say", "El 999999999999999º llegó.", "--lang", "es", "-o", str(tmp_path / "x.wav")])
    lines = [line for line in result.output.strip().splitlines() if line]
    assert result.exit_code == 1 and len(lines) == 1, result.output
    assert lines[0].startswith("error: num2words cannot spell 999999999999999 as an ordinal in 'es'"), result.output
