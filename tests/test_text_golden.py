"""Golden phoneme ids per language: any change in a phonemizer, its version or the normaliser
that would change what a trained voice hears shows up here."""

from __future__ import annotations

import pytest

from polyvox.text import LANGUAGES, SymbolTable, TextFrontend

GOLDEN_SYMBOLS = [
    "_", "^", "$", " ", ",", ".", "!", "?", ";", ":", "-", "…", '"', "'", "«", "»", "¿", "¡",
    "h", "ə", "l", "ˈoʊ", "w", "ˈɜː", "d", "ˈaʊ", "ɑːɹ", "j", "uː", "k", "ˈo", "m", "o", "e", "s", "t",
    "ˈa", "a", "ˈi", "ɣ", "b", "ɔ̃", "ʒ", "ˈu", "ʁ", "ˈɔ̃", "ɡ", "ˈuː", "n", "ˈɑː", "v", "iː", "ˈeː", "ɛ",
    "a1", "a2", "a3", "a4", "ky", "y", "i", "N", "U", "p", "rʲ", "vʲ", "ˈe", "mʲ", "r", "ħ", "ˌa", "ˌaː",
    "ʕ", "aː", "ˌi", "ˈaː",
]

GOLDEN = {
    # h ə l ˈoʊ _ w ˈɜː l d , _ h ˈaʊ _ ɑːɹ _ j uː ?
    "en": ("Hello world, how are you?", [18, 19, 20, 21, 3, 22, 23, 20, 24, 4, 3, 18, 25, 3, 26, 3, 27, 28, 7]),
    # ¿ k ˈo m o _ e s t ˈa s , _ a m ˈi ɣ o ?
    "es": ("¿Cómo estás, amigo?", [16, 29, 30, 31, 32, 3, 33, 34, 35, 36, 34, 4, 3, 37, 31, 38, 39, 32, 7]),
    # b ɔ̃ ʒ ˈu ʁ _ l ə _ m ˈɔ̃ d !
    "fr": ("Bonjour le monde!", [40, 41, 42, 43, 44, 3, 20, 19, 3, 31, 45, 24, 6]),
    # ɡ ˈuː t ə n _ t ˈɑː k , _ v iː _ ɡ ˈeː t _ ɛ s ?
    "de": ("Guten Tag, wie geht es?", [46, 47, 35, 19, 48, 3, 35, 49, 29, 4, 3, 50, 51, 3, 46, 52, 35, 3, 53, 34, 7]),
    # m a1 _ m a2 _ m a3 _ m a4 .   (four tones, four different ids)
    "zh": ("妈麻马骂。", [31, 54, 3, 31, 55, 3, 31, 56, 3, 31, 57, 5]),
    # ky o o w a _ y o i _ t e N k i d e s U .   (kanji read: 今日 -> kyoo)
    "ja": ("今日は良い天気です。", [58, 32, 32, 22, 37, 3, 59, 32, 60, 3, 35, 33, 61, 29, 60, 24, 33, 34, 62, 5]),
    # p rʲ i vʲ ˈe t , _ mʲ ˈi r !
    "ru": ("Привет, мир!", [63, 64, 60, 65, 66, 35, 4, 3, 67, 38, 68, 6]),
    # m r ħ b ˈaː _ b i l ʕ ˈaː l a m   (read as written: no short vowels are guessed)
    "ar": ("مرحبا بالعالم", [31, 68, 69, 40, 75, 3, 40, 60, 20, 72, 75, 20, 37, 31]),
}


@pytest.fixture(scope="module")
def frontend() -> TextFrontend:
    return TextFrontend(LANGUAGES)


@pytest.mark.parametrize("language", sorted(GOLDEN))
def test_golden_phoneme_ids(frontend: TextFrontend, language: str) -> None:
    text, expected_ids = GOLDEN[language]
    table = SymbolTable(GOLDEN_SYMBOLS)
    tokens = frontend.phonemize(text, language)
    assert table.encode([token.symbol for token in tokens]) == expected_ids
    assert {token.language for token in tokens} == {language}


def test_mandarin_tones_are_distinct_symbols(frontend: TextFrontend) -> None:
    finals = [token.symbol for token in frontend.phonemize("妈麻马骂", "zh") if token.symbol != " "][1::2]
    assert finals == ["a1", "a2", "a3", "a4"]


def test_golden_ids_with_blanks_and_language_ids(frontend: TextFrontend) -> None:
    table = SymbolTable(GOLDEN_SYMBOLS)
    tokens = frontend.phonemize("妈麻", "zh")
    ids, languages = frontend.to_ids(tokens, table, add_blank=True, language_ids={"zh": 4})
    assert ids == [0, 1, 0, 31, 0, 54, 0, 3, 0, 31, 0, 55, 0, 2, 0]
    assert languages == [4] * len(ids)


def test_arabic_short_vowel_marks_the_writer_gives_are_read(frontend: TextFrontend) -> None:
    """Arabic is not diacritized by polyvox (benchmarks/arabic_diacritizer.py): marks in the text are the way to give vowels."""
    marked = [token.symbol for token in frontend.phonemize("مَرْحَبًا بِالْعَالَمِ", "ar")]
    assert marked == ["m", "ˈa", "r", "ħ", "a", "b", "ˌa", "n", " ", "b", "i", "ˌaː", "l", "ʕ", "aː", "l", "ˌa", "m", "i"]
