"""Phonemizers, one file per family; heavy libraries are imported on first use."""

from __future__ import annotations

from polyvox.text.phonemizers.base import MarkedPhonemizer, Phonemizer


def create_phonemizer(language: str, espeak_voice: str | None = None) -> Phonemizer:
    """The phonemizer for ``language``: pypinyin for zh, pyopenjtalk for ja, espeak-ng for the rest.

    Arabic is read as written, short-vowel marks where the writer gave them: every diacritizer tried before
    espeak-ng (libtashkeel, text2tashkeel) made a listener understand the words less, not more
    (benchmarks/arabic_diacritizer.py, 80 held-out sentences).
    """
    if language == "zh":
        from polyvox.text.phonemizers.mandarin import MandarinPhonemizer

        return MandarinPhonemizer()
    if language == "ja":
        from polyvox.text.phonemizers.japanese import JapanesePhonemizer

        return JapanesePhonemizer()
    from polyvox.text.phonemizers.espeak import EspeakPhonemizer

    return EspeakPhonemizer(language, espeak_voice)


__all__ = ["MarkedPhonemizer", "Phonemizer", "create_phonemizer"]
