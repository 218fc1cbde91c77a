"""Arabic: restore the short vowels (diacritics) with libtashkeel, then phonemize with espeak-ng."""

from __future__ import annotations

import functools

from polyvox.text.phonemizers.espeak import EspeakPhonemizer



# piper_phonemize's libtashkeel loads its model at every call (3.6-6 s on a shared 2-core CPU): a text read
# again (training reads each transcript twice; a server hears the same sentences) is not diacritized again.
@functools.lru_cache(maxsize=4096)
def diacritize(text: str) -> str:
    """Add the missing short-vowel marks; text that is already fully marked is left unchanged."""
    from piper_phonemize import tashkeel_run

    return str(tashkeel_run(text))


class ArabicPhonemizer:
    """Diacritizes before espeak-ng, which otherwise guesses (often wrongly) the unwritten vowels."""

    def __init__(self, voice: str | None = None) -> None:
        self.language = "ar"
        self._espeak = EspeakPhonemizer("ar", voice)

    def phonemize(self, text: str) -> list[str]:
        if not text.strip():
            return []
        if any("\u0600" <= char <= "\u06ff" for char in text):
            text = diacritize(text)
        return self._espeak.phonemize(text)
