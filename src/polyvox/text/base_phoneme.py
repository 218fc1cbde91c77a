"""A phoneme without its marks: what makes two symbols of a table near (torch-free, for every engine)."""

from __future__ import annotations

import unicodedata

# Unicode categories of the marks a base phoneme is compared without: combining diacritics (Mn: nasal
# tilde, tie bars), modifier letters (Lm: stress ˈˌ, length ː, palatalisation ʲ, aspiration ʰ), modifier
# symbols (Sk: tone letters ˥˩) and digits (Nd: pinyin tones, "a3").
_MARK_CATEGORIES = frozenset({"Mn", "Lm", "Sk", "Nd"})


def base_phoneme(symbol: str) -> str:
    """``symbol`` without tone, length, stress or diacritic marks: ``"ˈaː"`` -> ``"a"``, ``"uo3"`` -> ``"uo"``."""
    decomposed = unicodedata.normalize("NFD", symbol)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if unicodedata.category(c) not in _MARK_CATEGORIES))
