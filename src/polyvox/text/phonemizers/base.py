"""The interface every phonemizer family implements."""

from __future__ import annotations

from typing import Protocol


class Phonemizer(Protocol):
    """Turns normalised text in one language into tokens: phonemes, ``" "`` between words, and
    punctuation marks (``, . ! ? ; : …`` and quotes) as tokens of their own."""

    language: str

    def phonemize(self, text: str) -> list[str]: ...
