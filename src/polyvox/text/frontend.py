"""The text front end: sentence splitting, normalisation, per-language phonemization with inline
language switching, and conversion to ids."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from polyvox.text.errors import EmptyTextError, TextError, UnknownLanguageError
from polyvox.text.ids import to_ids
from polyvox.text.normalize import normalize
from polyvox.text.phonemizers import MarkedPhonemizer, Phonemizer, create_phonemizer
from polyvox.text.punctuation import PUNCTUATION_TOKENS, WORD_SEPARATOR
from polyvox.text.scripts import Run, can_read, split_latin_runs
from polyvox.text.sentences import MAX_SENTENCE_CHARS, split_sentences
from polyvox.text.symbols import SymbolTable
from polyvox.text.tags import split_language_tags
from polyvox.text.token import Token

# The languages with a dedicated front end; any other espeak-ng voice code also works.
LANGUAGES: tuple[str, ...] = ("en", "es", "fr", "de", "zh", "ja", "ru", "ar")
SILENT_TOKENS = frozenset(PUNCTUATION_TOKENS.values()) | {WORD_SEPARATOR}
_MAX_REPORTED_CHARACTERS = 10


class TextFrontend:
    """Text -> tokens -> ids for the ``languages`` of one voice. Phonemizers are created on
    first use and cached on the instance."""

    def __init__(self, languages: Sequence[str], inline_latin_language: str = "en") -> None:
        if not languages:
            raise UnknownLanguageError(f"a front end needs at least one language; choose from {list(LANGUAGES)}")
        self.languages: tuple[str, ...] = tuple(dict.fromkeys(languages))
        self.inline_latin_language = inline_latin_language
        unknown = [language for language in self.languages if language not in LANGUAGES]
        if unknown:
            self._check_espeak_voices(unknown)
        self._phonemizers: dict[str, Phonemizer] = {}

    def serves(self, languages: Sequence[str], inline_latin_language: str) -> bool:
        """Whether this front end reads text as one built for ``languages`` would (shared rather than rebuilt)."""
        return set(self.languages) == set(languages) and self.inline_latin_language == inline_latin_language

    @staticmethod
    def _check_espeak_voices(codes: Sequence[str]) -> None:
        from polyvox.text.phonemizers.espeak import espeak_voices

        voices = espeak_voices()
        missing = [code for code in codes if code not in voices]
        if missing:
            raise UnknownLanguageError(
                f"cannot speak {missing}: supported are {list(LANGUAGES)} and these espeak-ng voices: "
                f"{', '.join(sorted(voices))}"
            )

    def _require_language(self, language: str) -> None:
        if language not in self.languages:
            raise UnknownLanguageError(
                f"language {language!r} is not one this front end speaks ({list(self.languages)}); "
                "add it to TextConfig.languages (and train on it) or pass one of those codes"
            )

    def _phonemizer(self, language: str) -> Phonemizer:
        if language not in self._phonemizers:
            self._phonemizers[language] = create_phonemizer(language)
        return self._phonemizers[language]

    def split_sentences(self, text: str, language: str, max_chars: int = MAX_SENTENCE_CHARS) -> list[str]:
        """Non-empty sentences (CJK and Latin punctuation), none longer than about ``max_chars``."""
        self._require_language(language)
        return split_sentences(text, language, max_chars)

    def _runs(self, text: str, language: str) -> list[Run]:
        runs: list[Run] = []
        for span in split_language_tags(text, language):
            self._require_language(span.language)
            latin = self.inline_latin_language if self.inline_latin_language in self.languages else span.language
            runs.extend(split_latin_runs(normalize(span.text, span.language), span.language, latin))
        return runs

    def _check_readable(self, run: Run, sentence_language: str) -> None:
        unread = [char for char in dict.fromkeys(run.text) if not can_read(char, run.language)]
        if not unread:
            return
        shown = ", ".join(
            f"{char!r} ({unicodedata.name(char, f'U+{ord(char):04X}')})" for char in unread[:_MAX_REPORTED_CHARACTERS]
        )
        raise TextError(
            f"the {run.language!r} phonemizer cannot read {shown} in {run.text!r} (sentence language "
            f"{sentence_language!r}); remove these characters or spell them out as words, or wrap foreign "
            f"words in a language tag such as <xx>...</xx> with xx one of {list(self.languages)}"
        )

    def phonemize(self, text: str, language: str) -> list[Token]:
        """Tokens of ``text``: phonemes as the phonemizers write them (stress and tone fused in; Japanese pitch
        accent beside), ``" "`` between words and punctuation, each with its language. Voices turn them into
        their own input scheme through ``polyvox.text.rules.TextRules``."""
        self._require_language(language)
        if not text or not text.strip():
            raise EmptyTextError("the text is empty or blank; pass at least one word to speak")
        tokens: list[Token] = []
        for run in self._runs(text, language):
            self._check_readable(run, language)
            run_tokens = self._run_tokens(run)
            if run_tokens and tokens and WORD_SEPARATOR not in (tokens[-1].symbol, run_tokens[0].symbol):
                tokens.append(Token(WORD_SEPARATOR, tokens[-1].language))
            tokens.extend(run_tokens)
        tokens = _tidy_separators(tokens)
        if not any(token.symbol not in SILENT_TOKENS for token in tokens):
            raise EmptyTextError(
                f"{text!r} phonemizes to no speakable sound (only punctuation or spaces); pass words to speak"
            )
        return tokens

    def _run_tokens(self, run: Run) -> list[Token]:
        phonemizer = self._phonemizer(run.language)
        if isinstance(phonemizer, MarkedPhonemizer):
            return phonemizer.phonemize_marked(run.text)
        return [Token(symbol, run.language) for symbol in phonemizer.phonemize(run.text)]

    @staticmethod
    def to_ids(
        tokens: Sequence[Token], symbols: SymbolTable, add_blank: bool, language_ids: dict[str, int]
    ) -> tuple[list[int], list[int]]:
        """See :func:`polyvox.text.ids.to_ids`."""
        return to_ids(tokens, symbols, add_blank, language_ids)


def _tidy_separators(tokens: list[Token]) -> list[Token]:
    """No leading, trailing or doubled word separators."""
    tidy: list[Token] = []
    for token in tokens:
        if token.symbol == WORD_SEPARATOR and (not tidy or tidy[-1].symbol == WORD_SEPARATOR):
            continue
        tidy.append(token)
    while tidy and tidy[-1].symbol == WORD_SEPARATOR:
        tidy.pop()
    return tidy

__all__ = ["LANGUAGES", "TextFrontend", "Token", "to_ids"]
