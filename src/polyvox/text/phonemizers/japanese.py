"""Japanese with pyopenjtalk: phones from the full-context labels, ``" "`` between accent phrases."""

from __future__ import annotations

import contextlib
import os
from typing import Any

from polyvox.text.phonemizers.chunks import iter_chunks, join_chunks
from polyvox.text.punctuation import WORD_SEPARATOR

_SILENCES = frozenset({"sil", "pau"})


def _import_pyopenjtalk() -> Any:
    """Import pyopenjtalk with its ONNX Runtime start-up warning silenced."""
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull), contextlib.redirect_stderr(devnull):
        import pyopenjtalk
    return pyopenjtalk


def _label_phone_and_phrase(label: str) -> tuple[str, str]:
    """``'o^i-t+e=N/A:.../F:6_1#0_0@3_1|6_6/G:...'`` -> ``('t', '6_1#0_0@3_1|6_6')``."""
    phone = label.split("-", 1)[1].split("+", 1)[0]
    phrase = label.split("/F:", 1)[1].split("/", 1)[0]
    return phone, phrase


class JapanesePhonemizer:
    """Unvoiced vowels stay upper case (``U``), ``cl`` is a geminate, ``N`` the moraic nasal."""

    def __init__(self) -> None:
        self.language = "ja"
        self._module: Any = None

    def _chunk_phones(self, chunk: str) -> list[str]:
        if self._module is None:
            self._module = _import_pyopenjtalk()
        phones: list[str] = []
        previous_phrase = None
        for label in self._module.extract_fullcontext(chunk):
            phone, phrase = _label_phone_and_phrase(label)
            if phone in _SILENCES:
                previous_phrase = None
                if phones and phones[-1] != WORD_SEPARATOR:
                    phones.append(WORD_SEPARATOR)
                continue
            if previous_phrase is not None and phrase != previous_phrase and phones[-1] != WORD_SEPARATOR:
                phones.append(WORD_SEPARATOR)
            previous_phrase = phrase
            phones.append(phone)
        while phones and phones[-1] == WORD_SEPARATOR:
            phones.pop()
        return phones

    def phonemize(self, text: str) -> list[str]:
        pieces = [(self._chunk_phones(chunk) if chunk else [], marks) for chunk, marks in iter_chunks(text)]
        return join_chunks(pieces)
