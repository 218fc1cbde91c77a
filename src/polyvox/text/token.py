"""The unit the front end produces: one phoneme, word separator or punctuation mark, with its language."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Token:
    """``symbol`` is a phoneme (``ˈoʊ``, ``i3``), ``" "`` between words, or a punctuation mark."""

    symbol: str
    language: str
