from __future__ import annotations

import pytest

from polyvox.text import (
    LANGUAGES,
    EmptyTextError,
    SymbolTable,
    TextError,
    TextFrontend,
    Token,
    UnknownLanguageError,
    UnknownSymbolError,
    to_ids,
)


@pytest.fixture(scope="module")
def frontend() -> TextFrontend:
    return TextFrontend(LANGUAGES)


def _language_runs(tokens: list[Token]) -> list[str]:
    """Languages of consecutive phonemes (spaces and punctuation ignored)."""
    runs: list[str] = []
    for token in tokens:
        if token.symbol not in SymbolTable.base() and (not runs or runs[-1] != token.language):
            runs.append(token.language)
    return runs


def test_latin_word_inside_mandarin_is_english(frontend: TextFrontend) -> None:
    tokens = frontend.phonemize("我爱Python编程", "zh")
    assert _language_runs(tokens) == ["zh", "en", "zh"]
    english = [token.symbol for token in tokens if token.language == "en" and token.symbol != " "]
    assert "ˈaɪ" in english
    assert tokens[0] == Token("uo3", "zh")


def test_latin_inside_russian_and_japanese(frontend: TextFrontend) -> None:
    assert _language_runs(frontend.phonemize("Я люблю New York!", "ru")) == ["ru", "en"]
    assert _language_runs(frontend.phonemize("東京でAppleを買った", "ja")) == ["ja", "en", "ja"]


def test_tagged_span_switches_language(frontend: TextFrontend) -> None:
    tokens = frontend.phonemize("Je dis <en>hello world</en> à tous.", "fr")
    assert _language_runs(tokens) == ["fr", "en", "fr"]
    assert [t.symbol for t in tokens if t.language == "en"][:4] == ["h", "ə", "l", "ˈoʊ"]


def test_without_inline_language_latin_stays_in_sentence_language() -> None:
    frontend = TextFrontend(["ru"])
    tokens = frontend.phonemize("Привет hello", "ru")
    assert {token.language for token in tokens} == {"ru"}
    with pytest.raises(TextError, match="cannot read 'P'"):
        TextFrontend(["zh"]).phonemize("我爱Python", "zh")


def test_unknown_language_is_typed_and_lists_choices(frontend: TextFrontend) -> None:
    with pytest.raises(UnknownLanguageError, match=r"\['en', 'zh'\]"):
        TextFrontend(["en", "zh"]).phonemize("bonjour", "fr")
    with pytest.raises(UnknownLanguageError, match="espeak-ng voices"):
        TextFrontend(["en", "xx-nope"])
    with pytest.raises(UnknownLanguageError):
        TextFrontend(["en"]).phonemize("<de>hallo</de>", "en")


def test_other_espeak_language_works() -> None:
    tokens = TextFrontend(["it"]).phonemize("Ciao, come stai?", "it")
    assert tokens[0] == Token("tʃ", "it") and tokens[-1] == Token("?", "it")


@pytest.mark.parametrize("text", ["", "   \n", "... ?!", "（）"])
def test_empty_text_is_typed(frontend: TextFrontend, text: str) -> None:
    with pytest.raises(EmptyTextError, match="speak"):
        frontend.phonemize(text, "en" if "（" not in text else "zh")


def test_unreadable_characters_are_reported(frontend: TextFrontend) -> None:
    with pytest.raises(TextError, match="GRINNING FACE"):
        frontend.phonemize("Hi 😀 there", "en")
    with pytest.raises(TextError, match="CYRILLIC"):
        frontend.phonemize("Hello Мир", "en")
    with pytest.raises(TextError, match="never closed"):
        frontend.phonemize("<en>hello", "zh")


def test_punctuation_tokens_and_fullwidth(frontend: TextFrontend) -> None:
    symbols = [token.symbol for token in frontend.phonemize("你好，世界！好吗？", "zh")]
    assert symbols.count(",") == 1 and symbols.count("!") == 1 and symbols[-1] == "?"
    assert symbols[:4] == ["n", "i2", "h", "ao3"]


def test_split_sentences(frontend: TextFrontend) -> None:
    assert frontend.split_sentences("Mr. Smith went home. He said hi! OK?", "en") == [
        "Mr. Smith went home.", "He said hi!", "OK?"
    ]
    assert frontend.split_sentences("你好。我很好！你呢？", "zh") == ["你好。", "我很好！", "你呢？"]
    assert frontend.split_sentences("Il pleut. <en>One. Two.</en> Fin", "fr") == [
        "Il pleut.", "<en>One.</en>", "<en>Two.</en> Fin"
    ]
    with pytest.raises(EmptyTextError):
        frontend.split_sentences(" ... ", "en")


def test_a_dotted_scale_after_an_amount_does_not_end_the_sentence(frontend: TextFrontend) -> None:
    text = "Der Umsatz stieg um 5 Mio. Euro im Jahr. Danach fiel er um 2,5 Mrd. Das war viel."
    assert frontend.split_sentences(text, "de") == [
        "Der Umsatz stieg um 5 Mio. Euro im Jahr.", "Danach fiel er um 2,5 Mrd. Das war viel."
    ]
    # Without an amount before it, the word ends its sentence as any other does.
    assert frontend.split_sentences("Er sagte Mio. Dann ging er.", "de") == ["Er sagte Mio.", "Dann ging er."]


def test_long_sentences_are_cut(frontend: TextFrontend) -> None:
    text = ", ".join(f"word number {i} is here" for i in range(60)) + "."
    pieces = frontend.split_sentences(text, "en")
    assert len(pieces) > 1 and all(0 < len(piece) <= 300 for piece in pieces)
    assert " ".join(pieces) == text
    assert all(len(piece) <= 300 for piece in frontend.split_sentences("字" * 700, "zh"))


def test_to_ids_blanks_languages_and_unknown_symbols() -> None:
    tokens = [Token("a", "zh"), Token(" ", "zh"), Token("b", "en")]
    table = SymbolTable.from_sequences([["a", "b"]])
    a, b = table.encode(["a", "b"])
    ids, languages = to_ids(tokens, table, add_blank=False, language_ids={"zh": 1, "en": 0})
    assert ids == [1, a, 3, b, 2] and languages == [1, 1, 1, 0, 0]
    ids, languages = to_ids(tokens, table, add_blank=True, language_ids={"zh": 1, "en": 0})
    assert ids == [0, 1, 0, a, 0, 3, 0, b, 0, 2, 0]
    assert languages == [1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0]
    with pytest.raises(UnknownSymbolError, match="'c' at position 1"):
        to_ids([Token("a", "zh"), Token("c", "zh")], table, add_blank=True, language_ids={"zh": 1})
    with pytest.raises(UnknownLanguageError, match="no language id"):
        to_ids(tokens, table, add_blank=True, language_ids={"zh": 1})
