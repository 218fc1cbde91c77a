"""Which trained symbol a new phoneme should start from: the same base phoneme, marks stripped."""

from __future__ import annotations

from collections.abc import Sequence
from difflib import SequenceMatcher

from polyvox.text.base_phoneme import base_phoneme


def closest_symbol(symbol: str, candidates: Sequence[str]) -> tuple[str, str] | None:
    """The candidate a new ``symbol``'s row should start from, and why; None when nothing is close.

    First choice: the same base phoneme (``"ˈi"`` -> ``"iː"``). Second: a base phoneme that begins with
    the other (``"o"`` -> ``"oʊ"``, ``"ts"`` -> ``"t"``). Among several, the most similar spelling, the
    first on a tie.
    """
    base = base_phoneme(symbol)
    if not base:
        return None
    bases = [(candidate, base_phoneme(candidate)) for candidate in candidates]
    same = [candidate for candidate, other in bases if other == base]
    if same:
        return _most_similar(symbol, same), "same base phoneme"
    overlapping = [candidate for candidate, other in bases if other and (other.startswith(base) or base.startswith(other))]
    if overlapping:
        return _most_similar(symbol, overlapping), "base phonemes begin alike"
    return None


def _most_similar(symbol: str, candidates: Sequence[str]) -> str:
    return max(candidates, key=lambda candidate: SequenceMatcher(None, symbol, candidate).ratio())
