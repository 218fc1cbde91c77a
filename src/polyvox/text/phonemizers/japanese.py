"""Japanese with pyopenjtalk: phones from the full-context labels, ``" "`` between accent phrases, and
each phone's pitch accent (its mora high or low in Tokyo Japanese) from the same labels."""

from __future__ import annotations

import contextlib
import os
from typing import Any

from polyvox.text.phonemizers.chunks import iter_chunks, join_chunks
from polyvox.text.punctuation import PUNCTUATION_TOKENS, WORD_SEPARATOR
from polyvox.text.token import Token

_SILENCES = frozenset({"sil", "pau"})
_NOT_PHONES = frozenset(PUNCTUATION_TOKENS.values()) | {WORD_SEPARATOR}


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


def _label_accent(label: str) -> str:
    """``H`` or ``L``: the pitch of the phone's mora. ``/A:`` gives the mora's position in its accent
    phrase (second field, from 1) and ``/F:`` the accent nucleus (0: none, the phrase stays high). The
    first mora is low unless the nucleus is on it; morae after the nucleus are low."""
    mora_field = label.split("/A:", 1)[1].split("/", 1)[0]
    phrase_field = label.split("/F:", 1)[1].split("/", 1)[0]
    try:
        mora = int(mora_field.split("+")[1])
        nucleus = int(phrase_field.split("_")[1].split("#")[0])
    except (IndexError, ValueError):
        return ""  # a silence or a label without accent information
    if nucleus == 1:
        return "H" if mora == 1 else "L"
    return "H" if mora > 1 and (nucleus == 0 or mora <= nucleus) else "L"


class JapanesePhonemizer:
    """Unvoiced vowels stay upper case (``U``), ``cl`` is a geminate, ``N`` the moraic nasal."""

    def __init__(self) -> None:
        self.language = "ja"
        self._module: Any = None

    def _chunk_marked(self, chunk: str) -> list[tuple[str, str]]:
        """``(phone, accent)`` pairs of one chunk; separators have no accent."""
        if self._module is None:
            self._module = _import_pyopenjtalk()
        phones: list[str] = []
        accents: list[str] = []
        previous_phrase = None
        for label in self._module.extract_fullcontext(chunk):
            phone, phrase = _label_phone_and_phrase(label)
            if phone in _SILENCES:
                previous_phrase = None
                if phones and phones[-1] != WORD_SEPARATOR:
                    phones.append(WORD_SEPARATOR)
                    accents.append("")
                continue
            if previous_phrase is not None and phrase != previous_phrase and phones[-1] != WORD_SEPARATOR:
                phones.append(WORD_SEPARATOR)
                accents.append("")
            previous_phrase = phrase
            phones.append(phone)
            accents.append(_label_accent(label))
        while phones and phones[-1] == WORD_SEPARATOR:
            phones.pop()
            accents.pop()
        return list(zip(phones, accents))

    def phonemize(self, text: str) -> list[str]:
        return [token.symbol for token in self.phonemize_marked(text)]

    def phonemize_marked(self, text: str) -> list[Token]:
        """Tokens with each phone's pitch accent (separators and punctuation have none)."""
        marked = [(self._chunk_marked(chunk) if chunk else [], marks) for chunk, marks in iter_chunks(text)]
        symbols = join_chunks([([phone for phone, _ in pairs], marks) for pairs, marks in marked])
        # join_chunks keeps the phones in order and only adds separators and punctuation around them.
        accents = iter(accent for pairs, _ in marked for phone, accent in pairs if phone != WORD_SEPARATOR)
        return [
            Token(symbol, self.language, next(accents) if symbol not in _NOT_PHONES else "") for symbol in symbols
        ]
