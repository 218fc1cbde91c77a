"""espeak-ng phonemizer (through phonemizer-fork) for en, es, fr, de, ru and any espeak voice."""

from __future__ import annotations

import logging
import threading

from collections.abc import Mapping, Sequence
from typing import Any

from polyvox.text.errors import UnknownLanguageError
from polyvox.text.punctuation import PUNCTUATION_TOKENS, SILENT_MARKS, WORD_SEPARATOR, split_edge_punctuation

# Our language code -> espeak voice names to try, first that works wins (they differ between versions).
VOICE_CANDIDATES: Mapping[str, tuple[str, ...]] = {
    "en": ("en-us", "en"),
    "es": ("es", "es-es"),
    "fr": ("fr-fr", "fr"),
    "de": ("de",),
    "ru": ("ru",),
    "ar": ("ar",),
}
_PHONE_SEPARATOR = "|"
# espeak writes "-" to join a clitic to the next word (French "lə-"); it is not a sound.
_ESPEAK_JOINER = "-"
# Script-specific punctuation (``،`` ``؟`` ``，``) written as the ASCII marks espeak keeps.
# Silent marks that espeak would read aloud ("slash") become spaces; apostrophes and hyphens stay in words.
_TO_ESPEAK_MARKS = str.maketrans({
    **{written: token for written, token in PUNCTUATION_TOKENS.items() if token != _ESPEAK_JOINER and written != token},
    **{mark: " " for mark in SILENT_MARKS - set("'’-")},
})


def _configure_espeak() -> Any:
    """Point phonemizer at the bundled espeak-ng library and data; returns the backend class."""
    import espeakng_loader
    from phonemizer.backend import EspeakBackend
    from phonemizer.backend.espeak.wrapper import EspeakWrapper

    EspeakWrapper.set_library(espeakng_loader.get_library_path())
    EspeakWrapper.set_data_path(espeakng_loader.get_data_path())
    return EspeakBackend


def _backend_logger() -> logging.Logger:
    # phonemizer warns about every language switch and word-count mismatch it handles itself;
    # those are expected here, so only its errors are passed on.
    backend_logger = logging.getLogger("polyvox.text.espeak_backend")
    backend_logger.setLevel(logging.ERROR)
    return backend_logger


def espeak_voices() -> frozenset[str]:
    """Every voice code the installed espeak-ng speaks."""
    backend_class = _configure_espeak()
    return frozenset(backend_class.supported_languages())


def resolve_voice(language: str, available: frozenset[str]) -> str:
    """The espeak voice for ``language``: its first available candidate, or the code itself."""
    for candidate in VOICE_CANDIDATES.get(language, (language,)):
        if candidate in available:
            return candidate
    raise UnknownLanguageError(
        f"espeak-ng has no voice for {language!r} (tried {list(VOICE_CANDIDATES.get(language, (language,)))}); "
        "use one of the espeak codes listed by `espeak-ng --voices`"
    )


def parse_espeak_output(phonemized: str) -> list[str]:
    """``'h|ə|l|ˈoʊ w|ˈɜː|l|d, h|ˈaʊ'`` -> ``['h','ə','l','ˈoʊ',' ','w','ˈɜː','l','d',',',' ','h','ˈaʊ']``."""
    tokens: list[str] = []
    for word in phonemized.split(" "):
        word_tokens: list[str] = []
        for piece in word.split(_PHONE_SEPARATOR):
            leading, phone, trailing = split_edge_punctuation(piece)
            phone = phone.replace(_ESPEAK_JOINER, "")
            word_tokens.extend(leading)
            if phone:
                word_tokens.append(phone)
            word_tokens.extend(trailing)
        if word_tokens:
            if tokens:
                tokens.append(WORD_SEPARATOR)
            tokens.extend(word_tokens)
    return tokens


# espeak-ng keeps its state in the library, not per call: two threads phonemizing at once garble each other's
# output (181 of 240 concurrent calls came back wrong), so the server's concurrent syntheses take turns here.
# A call takes milliseconds; the model's work, which is most of a synthesis, stays concurrent.
_ESPEAK_LOCK = threading.Lock()


class EspeakPhonemizer:
    """Phonemizes with espeak-ng; the backend is created on first use and kept on the instance. Thread-safe."""

    def __init__(self, language: str, voice: str | None = None) -> None:
        self.language = language
        self._voice = voice
        self._backend: Any = None
        self._separator: Any = None

    @property
    def voice(self) -> str:
        if self._voice is None:
            self._voice = resolve_voice(self.language, espeak_voices())
        return self._voice

    def _load(self) -> Any:
        if self._backend is None:
            backend_class = _configure_espeak()
            from phonemizer.separator import Separator

            self._backend = backend_class(
                self.voice,
                preserve_punctuation=True,
                with_stress=True,
                language_switch="remove-flags",
                logger=_backend_logger(),
            )
            self._separator = Separator(phone=_PHONE_SEPARATOR, word=" ")
        return self._backend

    def phonemize(self, text: str) -> list[str]:
        if not text.strip():
            return []
        text = text.translate(_TO_ESPEAK_MARKS)
        with _ESPEAK_LOCK:
            backend = self._load()
            results: Sequence[str] = backend.phonemize([text], separator=self._separator, strip=True)
        return parse_espeak_output(results[0]) if results else []
