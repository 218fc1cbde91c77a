"""The unit the front end produces: one phoneme, word separator or punctuation mark, with its language."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Token:
    """``symbol`` is a phoneme (``ˈoʊ``, ``i3`` as phonemizers write them; ``oʊ``, ``i`` in the ``features``
    scheme), ``" "`` between words, or a punctuation mark. ``accent`` (stress, tone or pitch accent) and
    ``length`` are the prosodic features beside it (``polyvox.text.prosody``); "" when unmarked."""

    symbol: str
    language: str
    accent: str = ""
    length: str = ""
