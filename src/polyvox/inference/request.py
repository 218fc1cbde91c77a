"""The torch-free half of a voice: its tables, the text front end, and the checks on a request.

Both engines (PyTorch ``Voice`` and onnxruntime ``OnnxVoice``) turn a request into the same ids and
options through this class, so they accept and refuse exactly the same input, with the same messages.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from polyvox.audio.pitch import PitchError, check_semitones
from polyvox.config import VoiceConfig
from polyvox.inference.result import SynthesisError
from polyvox.text import TextFrontend, to_ids
from polyvox.text.symbols import SymbolTable
from polyvox.text.token import Token

logger = logging.getLogger(__name__)

# Defaults of a request; the ONNX metadata records them for engines in other languages.
DEFAULT_SPEED = 1.0
DEFAULT_NOISE_SCALE = 0.667
DEFAULT_NOISE_SCALE_DURATION = 0.8
# Silence placed between sentences, in seconds.
SENTENCE_PAUSE_S = 0.15


@dataclass(frozen=True)
class SpeechOptions:
    """A request's checked options, in the generator's terms."""

    language: str
    speaker_id: int
    length_scale: float  # 1 / speed
    noise_scale: float
    noise_scale_duration: float
    pitch: float  # semitones


class VoiceText:
    """Languages, speakers and symbols of a voice, and what turns text into its ids."""

    def __init__(self, config: VoiceConfig, symbols: SymbolTable, languages: tuple[str, ...], speakers: tuple[str, ...]) -> None:
        self.config = config
        self.symbols = symbols
        self.languages = languages
        self.speakers = speakers
        self.frontend = TextFrontend(languages, config.text.inline_latin_language)

    def language(self, language: str | None) -> str:
        if language is None:
            return self.languages[0]
        if language not in self.languages:
            raise SynthesisError(f"this voice does not speak {language!r}; it speaks: {', '.join(self.languages)}")
        return language

    def speaker_id(self, speaker: str | int | None, language: str) -> int:
        if speaker is None:
            # Prefer a speaker trained on this language (names start with the language code by convention).
            for index, name in enumerate(self.speakers):
                if name.split("_")[0] == language:
                    return index
            return 0
        if isinstance(speaker, int) or speaker.isdigit():
            index = int(speaker)
            if not 0 <= index < len(self.speakers):
                raise SynthesisError(f"speaker index {index} out of range: this voice has {len(self.speakers)} speakers")
            return index
        if speaker not in self.speakers:
            raise SynthesisError(f"unknown speaker {speaker!r}; this voice has: {', '.join(self.speakers)}")
        return self.speakers.index(speaker)

    def options(
        self, language: str | None, speaker: str | int | None, speed: float, noise_scale: float,
        noise_scale_duration: float, pitch: float,
    ) -> SpeechOptions:
        if not speed > 0:
            raise SynthesisError(f"speed must be positive, got {speed}")
        if noise_scale < 0 or noise_scale_duration < 0:
            raise SynthesisError("noise scales must be >= 0")
        try:
            check_semitones(pitch)
        except PitchError as error:
            raise SynthesisError(str(error)) from error
        language = self.language(language)
        return SpeechOptions(language, self.speaker_id(speaker, language), 1.0 / speed, noise_scale, noise_scale_duration, pitch)

    def spell_unseen(self, tokens: list[Token]) -> list[Token]:
        if self.config.text.token_unit == "codepoint":
            return tokens  # every character is looked up on its own already
        spelled: list[Token] = []
        for token in tokens:
            parts = None if token.symbol in self.symbols else self.symbols.spell(token.symbol)
            if parts is None:
                spelled.append(token)  # known, or an error for to_ids to report
                continue
            logger.warning(
                "phoneme %r (%s) is not in this voice's symbol table; spoken as %s. Fine-tune on data with it to "
                "teach the voice the sound itself", token.symbol, token.language, " + ".join(repr(part) for part in parts),
            )
            spelled.extend(Token(part, token.language) for part in parts)
        return spelled

    def sentences(self, text: str, language: str) -> list[str]:
        return self.frontend.split_sentences(text, language)

    def encode(self, sentence: str, language: str) -> tuple[list[int], list[int]]:
        """Phoneme ids and per-id language ids of one sentence (raises ``TextError`` subclasses).

        A phoneme the voice never saw (a diphthong or stressed vowel that its training data lacked) is
        spoken as the known symbols it is made of, with a warning; one with an unknown part is an error.
        """
        tokens = self.spell_unseen(self.frontend.phonemize(sentence, language))
        language_table = {name: index for index, name in enumerate(self.languages)}
        text_config = self.config.text
        return to_ids(
            tokens, self.symbols, text_config.add_blank, language_table, text_config.sequence_layout,
            text_config.token_unit == "codepoint",
        )
