"""Which writing system a character belongs to, and splitting text into runs of one language."""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from polyvox.text.punctuation import is_silent

LATIN = "LATIN"
CYRILLIC = "CYRILLIC"
ARABIC = "ARABIC"
HAN = "HAN"
KANA = "KANA"
DIGIT = "DIGIT"

# Scripts each language's phonemizer can read. Languages not listed read any letter (espeak).
READABLE_SCRIPTS: Mapping[str, frozenset[str]] = {
    "en": frozenset({LATIN, DIGIT}),
    "es": frozenset({LATIN, DIGIT}),
    "fr": frozenset({LATIN, DIGIT}),
    "de": frozenset({LATIN, DIGIT}),
    "ru": frozenset({CYRILLIC, LATIN, DIGIT}),
    "ar": frozenset({ARABIC, LATIN, DIGIT}),
    "zh": frozenset({HAN}),
    "ja": frozenset({HAN, KANA, LATIN}),
}
# Languages whose own script is not Latin: Latin-script runs inside them may switch language.
NON_LATIN_LANGUAGES = frozenset({"zh", "ja", "ru", "ar"})
_KANA_EXTRA = frozenset("ー々〆ヶ")


def script_of(char: str) -> str | None:
    """The script of a letter or digit, ``None`` for anything else (space, punctuation, symbol)."""
    if char.isdecimal():
        return DIGIT
    category = unicodedata.category(char)
    if not (category.startswith("L") or category.startswith("M")) and char not in _KANA_EXTRA:
        return None
    if char in _KANA_EXTRA:
        return KANA
    name = unicodedata.name(char, "")
    if name.startswith("CJK ") or "IDEOGRAPH" in name:
        return HAN
    for prefix, script in (("HIRAGANA", KANA), ("KATAKANA", KANA), ("HALFWIDTH KATAKANA", KANA)):
        if name.startswith(prefix):
            return script
    for script in (LATIN, CYRILLIC, ARABIC):
        if name.startswith(script):
            return script
    if category.startswith("M"):
        return "MARK"
    return name.split(" ", 1)[0] or "UNKNOWN"


def can_read(char: str, language: str) -> bool:
    """Whether the phonemizer for ``language`` reads ``char`` (silent characters always pass)."""
    if is_silent(char):
        return True
    script = script_of(char)
    if script is None:
        return False
    readable = READABLE_SCRIPTS.get(language)
    return readable is None or script in readable or script == "MARK"


@dataclass(frozen=True)
class Run:
    """A stretch of text phonemized in one language."""

    text: str
    language: str


def split_latin_runs(text: str, language: str, latin_language: str) -> list[Run]:
    """Split ``text`` (in ``language``) so that Latin-script words go to ``latin_language``.
    Spaces and punctuation between two Latin words stay in the Latin run."""
    if language not in NON_LATIN_LANGUAGES or latin_language == language:
        return [Run(text, language)]
    runs: list[Run] = []
    start = 0
    index = 0
    while index < len(text):
        if script_of(text[index]) != LATIN:
            index += 1
            continue
        end = index
        cursor = index
        while cursor < len(text) and (script_of(text[cursor]) in (LATIN, "MARK") or text[cursor] in " '-."):
            if script_of(text[cursor]) == LATIN:
                end = cursor + 1
            cursor += 1
        if index > start:
            runs.append(Run(text[start:index], language))
        runs.append(Run(text[index:end], latin_language))
        start = index = end
    if start < len(text):
        runs.append(Run(text[start:], language))
    return runs
