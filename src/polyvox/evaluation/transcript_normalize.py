"""Transcripts brought to one form before they are compared, so that script choices are not errors.

Every language: Unicode NFKC, case folded, punctuation and symbols removed. Spaced languages: numbers
spelled out with num2words (``12`` and ``twelve`` are the same), hyphens become spaces, characters and
words compared. Mandarin: numbers read in Chinese numerals, then every character becomes its pinyin
syllable with tone number (pypinyin), so ``十二``, ``拾贰`` read alike and ``shi2 er4`` match it; the
units compared are syllables. Japanese: the text becomes its katakana reading (pyopenjtalk), so kanji
and kana spellings of a word match; the units compared are kana.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Languages written without spaces between words, and the unit their character error rate counts.
UNSPACED_UNITS = {"zh": "pinyin syllable", "ja": "kana"}
_SPACES = re.compile(r"\s+")
_DIGIT_GROUPING = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_LATIN_RUN = re.compile(r"([a-zü]+[1-5]?)|([^a-zü]+)")
_KATAKANA = re.compile(r"[\u30a1-\u30fa\u30fc]")


@dataclass(frozen=True)
class NormalizedTranscript:
    """A transcript as compared: ``units`` for the character error rate, ``words`` for the word error
    rate (None for languages written without spaces)."""

    text: str  # the normalised text, units joined (by spaces for syllables)
    units: tuple[str, ...]
    words: tuple[str, ...] | None


def _without_punctuation(text: str) -> str:
    """Punctuation and symbols (Unicode P* and S*) replaced by spaces; apostrophes inside words dropped."""
    text = re.sub(r"(?<=\w)['’](?=\w)", "", text)
    return "".join(" " if unicodedata.category(char)[0] in "PS" else char for char in text)


def _spaced(text: str, language: str) -> NormalizedTranscript:
    from polyvox.text.numbers import spell_numbers

    text = spell_numbers(text, language).casefold()
    words = tuple(_SPACES.split(_without_punctuation(text).strip())) if text.strip() else ()
    words = tuple(word for word in words if word)
    joined = " ".join(words)
    return NormalizedTranscript(joined, tuple(joined), words)


# Arabic spelling choices a listener cannot hear: the short-vowel marks (harakat, tanwin, shadda, sukun,
# dagger alef) and tatweel are optional, hamza seats on alef vary, final ya and ta marbuta are often written
# as alef maqsura and ha. They are removed or unified on both sides, as Arabic recognition scoring does.
_ARABIC_MARKS = re.compile("[\u064b-\u065f\u0670\u0640]")
_ARABIC_LETTERS = str.maketrans({"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه"})


def _arabic(text: str) -> NormalizedTranscript:
    from polyvox.text.numbers import spell_numbers

    return _spaced(_ARABIC_MARKS.sub("", spell_numbers(text, "ar")).translate(_ARABIC_LETTERS), "ar")


def _mandarin(text: str) -> NormalizedTranscript:
    from pypinyin import Style, lazy_pinyin

    from polyvox.text.chinese_numbers import spell_chinese_numbers

    text = _DIGIT_GROUPING.sub("", text)  # 3,000 -> 3000 before the numbers are read
    syllables: list[str] = []
    # Latin runs (e.g. pinyin typed with tone numbers, "shi2 er4") are kept as they are; numbers elsewhere are read.
    for latin, other in _LATIN_RUN.findall(text.casefold()):
        if latin:
            syllables.append(latin)
            continue
        pieces = lazy_pinyin(_without_punctuation(spell_chinese_numbers(other)), style=Style.TONE3, neutral_tone_with_five=True)
        syllables += [syllable for piece in pieces for syllable in piece.split()]
    return NormalizedTranscript(" ".join(syllables), tuple(syllables), None)


def _japanese(text: str) -> NormalizedTranscript:
    import pyopenjtalk

    text = _without_punctuation(text).strip()
    reading = str(pyopenjtalk.g2p(text, kana=True)) if text else ""
    kana = tuple(_KATAKANA.findall(reading))
    return NormalizedTranscript("".join(kana), kana, None)


def normalize_transcript(text: str, language: str) -> NormalizedTranscript:
    """``text`` (the sentence a clip should say, or a recognizer's transcript) in the form compared for ``language``."""
    text = unicodedata.normalize("NFKC", text)
    if language == "zh":
        return _mandarin(text)
    if language == "ja":
        return _japanese(text)
    if language == "ar":
        return _arabic(text)
    return _spaced(text.replace("-", " "), language)
