"""The interface every phonemizer family implements."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from polyvox.text.token import Token


class Phonemizer(Protocol):
    """Turns normalised text in one language into tokens: phonemes, ``" "`` between words, and
    punctuation marks (``, . ! ? ; : …`` and quotes) as tokens of their own."""

    language: str

    def phonemize(self, text: str) -> list[str]: ...


@runtime_checkable
class MarkedPhonemizer(Protocol):
    """A phonemizer that also knows a prosodic feature its symbols do not carry (Japanese pitch accent)."""

    language: str

    def phonemize(self, text: str) -> list[str]: ...

    def phonemize_marked(self, text: str) -> list[Token]: ...
