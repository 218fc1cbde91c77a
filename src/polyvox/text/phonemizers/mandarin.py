"""Mandarin with pypinyin: each syllable becomes an initial and a final carrying its tone
(``你`` -> ``n``, ``i3``), with tone sandhi applied (``你好`` -> ``n i2 h ao3``).
espeak is not used: it merges tones 1 and 4."""

from __future__ import annotations

import re

from polyvox.text.errors import TextError
from polyvox.text.phonemizers.chunks import iter_chunks, join_chunks
from polyvox.text.punctuation import WORD_SEPARATOR

_SYLLABLE = re.compile(r"^[a-z]+[1-5]$")


class MandarinPhonemizer:
    def __init__(self) -> None:
        self.language = "zh"

    def _syllables(self, chunk: str) -> list[str]:
        from pypinyin import Style, lazy_pinyin

        syllables = lazy_pinyin(
            chunk,
            style=Style.TONE3,
            neutral_tone_with_five=True,
            tone_sandhi=True,
            errors=lambda unread: [f"?{char}" for char in unread],
        )
        unread = [syllable[1:] for syllable in syllables if not _SYLLABLE.match(syllable)]
        if unread or len(syllables) != len(chunk):
            raise TextError(
                f"pypinyin has no reading for {''.join(unread) or chunk!r}; replace these characters "
                "with common characters of the same sound, or remove them"
            )
        return syllables

    def _words(self, chunk: str) -> list[str]:
        from pypinyin.seg.mmseg import seg

        return [word for word in seg.cut(chunk) if word]

    def phonemize(self, text: str) -> list[str]:
        from pypinyin.contrib.tone_convert import to_finals_tone3, to_initials

        pieces: list[tuple[list[str], list[str]]] = []
        for chunk, marks in iter_chunks(text):
            phones: list[str] = []
            if chunk:
                syllables = iter(self._syllables(chunk))
                for word in self._words(chunk):
                    if phones:
                        phones.append(WORD_SEPARATOR)
                    for _ in word:
                        syllable = next(syllables)
                        initial = to_initials(syllable, strict=True)
                        final = to_finals_tone3(syllable, strict=True, neutral_tone_with_five=True)
                        phones.extend(part for part in (initial, final) if part)
            pieces.append((phones, marks))
        return join_chunks(pieces)
