"""The torch-free half of a voice: its tables, the text front end, and the checks on a request.

Both engines (PyTorch ``Voice`` and onnxruntime ``OnnxVoice``) turn a request into the same ids and
options through this class, so they accept and refuse exactly the same input, with the same messages.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from polyvox.audio.pitch import MAX_SEMITONES
from polyvox.audio.prosody_shape import ProsodyShape
from polyvox.config import ModelConfig, StyleConfig, VoiceConfig
from polyvox.export.style_tables import StyleTables
from polyvox.inference.phoneme_input import read_phonemes
from polyvox.inference.result import SynthesisError
from polyvox.inference.speaker_pitch import speaker_pitch
from polyvox.inference.style_prosody import LabelProsody, nearest_label, style_prosody
from polyvox.speech_request import SpeechRequest
from polyvox.synthesis_settings import SynthesisSettings
from polyvox.text.ids import EncodedText
from polyvox.text.rules import TextRules
from polyvox.text.symbols import SymbolTable
from polyvox.text.token import Token

logger = logging.getLogger(__name__)

# Silence placed between sentences, in seconds.
SENTENCE_PAUSE_S = 0.15


@dataclass(frozen=True)
class SpeechOptions:
    """A request checked against a voice: its language and speaker resolved to the voice's own."""

    request: SpeechRequest
    language: str
    speaker_id: int
    # Speed and noise: the request's where it gives them, else the voice's own (synthesis_settings.py).
    settings: SynthesisSettings
    style_label: int | None = None  # row of the voice's style-label table (the request's emotion)
    speaker_pitch: float = 0.0  # the speaker's stored correction in semitones (speaker_pitch.py)
    label_prosody: LabelProsody | None = None  # the asked emotion's stored correction (style_prosody.py)
    prosody_strength: float | None = None  # how much of it; None: the request's style strength (a style reference: its own)
    # A reference clip's median F0 (Hz) each sentence is moved to (reference_pitch.py); None: spoken as it comes.
    reference_f0_hz: float | None = None

    @property
    def length_scale(self) -> float:
        return self.settings.length_scale

    @property
    def pitch(self) -> float:
        """Semitones a spoken sentence is shifted by: the request's, plus the speaker's correction unless a
        reference clip stands in for the speaker."""
        return self.request.pitch + (self.speaker_pitch if self.request.reference is None else 0.0)

    @property
    def whole_sentences(self) -> bool:
        """Whether a sentence must be spoken whole before any of it is heard (WORLD reshapes it after it is spoken)."""
        return not self.shape.identity or self.reference_f0_hz is not None

    @property
    def shape(self) -> ProsodyShape:
        """How a spoken sentence is reshaped: by ``pitch``, and by the emotion's stored correction at the request's
        style strength."""
        if self.label_prosody is None:
            return ProsodyShape(semitones=self.pitch)
        strength = self.request.style_strength if self.prosody_strength is None else self.prosody_strength
        return self.label_prosody.at_strength(strength, self.pitch)


def default_speakers(info: Mapping[str, str], languages: Sequence[str], speakers: Sequence[str]) -> dict[str, str]:
    """The speaker a voice uses for each language when none is asked for: ``info["default_speakers"]`` (JSON,
    language -> speaker; written by the recipes whose speakers speak several languages), where it names
    the voice's own languages and speakers."""
    try:
        chosen = json.loads(info.get("default_speakers", "{}"))
    except json.JSONDecodeError:
        chosen = None
    if not isinstance(chosen, dict):
        logger.warning("the voice's default_speakers is not a JSON object; speakers are chosen by name")
        return {}
    return {language: name for language, name in chosen.items() if language in languages and name in speakers}


def speaker_named_for(language: str, speakers: Sequence[str]) -> int | None:
    """The first speaker trained on ``language`` by the recipes' naming convention (names start with the language
    code: ``en_f3``), or None."""
    return next((index for index, name in enumerate(speakers) if name.split("_")[0] == language), None)


def voice_language(language: str | None, languages: Sequence[str], voice: str = "this voice") -> str:
    """``language``, or the voice's first when None; ``SynthesisError`` (one line) when ``voice`` does not speak it."""
    if language is None:
        return languages[0]
    if language not in languages:
        raise SynthesisError(f"{voice} does not speak {language!r}; it speaks: {', '.join(languages)}")
    return language


def speaker_index(speaker: str | int, speakers: Sequence[str], voice: str = "this voice", names_only: bool = False) -> int:
    """The index of a speaker given by name or index; ``SynthesisError`` (one line) when ``voice`` has no such speaker.
    ``names_only``: a string is always a name (a manifest's speaker "1" is not the voice's second speaker)."""
    if isinstance(speaker, int) or (speaker.isdigit() and not names_only):
        index = int(speaker)
        if not 0 <= index < len(speakers):
            raise SynthesisError(f"speaker index {index} out of range: {voice} has {len(speakers)} speakers")
        return index
    if speaker not in speakers:
        raise SynthesisError(f"unknown speaker {speaker!r}; {voice} has: {', '.join(speakers)}")
    return speakers.index(speaker)


def style_label(style: StyleConfig, emotion: str | None, wants_style: bool, voice: str = "this voice") -> int | None:
    """The row of ``emotion`` in the voice's style table (None when no emotion is asked); ``SynthesisError`` (one
    line) for style options (``wants_style``) to a voice without style, or an emotion the voice was not trained with."""
    if wants_style and not style.enabled:
        raise SynthesisError(
            f"{voice} has no style component (model.style.enabled is false), so it takes no emotion, style reference or "
            "style strength; train a voice with model.style.enabled (docs/training.md)"
        )
    if emotion is None:
        return None
    if emotion not in style.labels:
        known = ", ".join(style.labels) if style.labels else "none (it was trained without style labels: give a style reference clip)"
        raise SynthesisError(f"unknown emotion {emotion!r}; {voice} knows: {known}")
    return style.labels.index(emotion)


def check_style_sampler(model: ModelConfig, style: str | None, voice: str = "this voice") -> None:
    """``SynthesisError`` (one line) for style "sample" to a voice trained without a style sampler."""
    if style is None or model.style_sampler.enabled:
        return
    instead = "give an emotion or a style reference instead, or" if model.style.enabled else "it has no style component either;"
    raise SynthesisError(
        f"{voice} has no style sampler (model.style_sampler.enabled is false), so it cannot sample a style; {instead} "
        "train a voice with model.style_sampler.enabled (docs/training.md)"
    )


class VoiceText:
    """Languages, speakers and symbols of a voice, and what turns text into its ids."""

    def __init__(
        self, config: VoiceConfig, symbols: SymbolTable, languages: tuple[str, ...], speakers: tuple[str, ...],
        info: Mapping[str, str] | None = None,
    ) -> None:
        self.config = config
        self.symbols = symbols
        self.languages = languages
        self.speakers = speakers
        self.default_speakers = default_speakers(info or {}, languages, speakers)
        self.synthesis = SynthesisSettings.from_info(info or {})
        self.speaker_pitch = speaker_pitch(info or {}, speakers)
        style = config.model.style
        self.style_prosody = style_prosody(info or {}, style.labels if style.enabled else ())
        self.rules = TextRules(config, languages, symbols)
        self.frontend = self.rules.frontend

    def language(self, language: str | None) -> str:
        return voice_language(language, self.languages)

    def speaker_id(self, speaker: str | int | None, language: str) -> int:
        if speaker is None and language in self.default_speakers:
            return self.speakers.index(self.default_speakers[language])
        if speaker is None:
            named = speaker_named_for(language, self.speakers)
            return 0 if named is None else named
        return speaker_index(speaker, self.speakers)

    def options(self, request: SpeechRequest) -> SpeechOptions:
        """The request in the generator's terms; raises ``SynthesisError`` for a language or speaker this voice lacks
        (the request checked its ranges when it was built)."""
        language = self.language(request.language)
        wants_style = request.emotion is not None or request.style_reference is not None or request.style_strength != 1.0
        label = style_label(self.config.model.style, request.emotion, wants_style)
        check_style_sampler(self.config.model, request.style)
        speaker = self.speaker_id(request.speaker, language)
        label_prosody = self.style_prosody.get(request.emotion) if request.emotion is not None else None
        options = SpeechOptions(
            request, language, speaker, self.settings(request), label, self.speaker_pitch.get(self.speakers[speaker], 0.0),
            label_prosody,
        )
        return self._within_range(options, f"emotion {request.emotion}")

    def settings(self, request: SpeechRequest) -> SynthesisSettings:
        """Speed and noise for ``request``: its own, else the voice's; a score sets its own durations (speed 1)."""
        speed = 1.0 if request.score is not None else request.speed
        return self.synthesis.for_request(speed, request.noise_scale, request.noise_scale_duration)

    def reference_prosody(self, options: SpeechOptions, style: np.ndarray | None, tables: StyleTables | None) -> SpeechOptions:
        """``options`` for a style reference whose style (1, channels) lies near a label with a stored correction: that
        correction, at the strength the style lies along the way to the label's row (``style_prosody.nearest_label``)."""
        if options.request.style_reference is None or style is None or tables is None or not self.style_prosody:
            return options
        found = nearest_label(style, np.asarray(tables.neutral), np.asarray(tables.label_vectors), tables.labels)
        if found is None or found[0] not in self.style_prosody:
            return options
        label, strength = found
        shaped = dataclasses.replace(options, label_prosody=self.style_prosody[label], prosody_strength=strength)
        return self._within_range(shaped, f"the style reference's (nearest emotion {label}, strength {strength:.2f})")

    def _within_range(self, options: SpeechOptions, style: str) -> SpeechOptions:
        """``options``, or ``SynthesisError`` (one line) when the request's pitch and the stored corrections add up to
        more than +-MAX_SEMITONES."""
        semitones = options.shape.semitones
        if abs(semitones) <= MAX_SEMITONES:
            return options
        speaker = self.speakers[options.speaker_id]
        corrections = [f"speaker {speaker}'s own correction ({options.speaker_pitch:+.1f})"] if options.speaker_pitch else []
        if options.label_prosody is not None and options.label_prosody.semitones:
            corrections.append(f"{style} ({semitones - options.pitch:+.1f})")
        raise SynthesisError(
            f"pitch {options.request.pitch:+g} and {' and '.join(corrections)} make {semitones:+.1f} semitones, "
            f"beyond +-{MAX_SEMITONES:g}; ask for a smaller pitch"
        )

    def sentences(self, text: str, language: str) -> list[str]:
        return self.rules.sentences(text, language)

    def encode(self, sentence: str, language: str) -> EncodedText:
        """Phoneme, language and prosody ids of one sentence (raises ``TextError`` subclasses); see
        ``TextRules.encode`` for sounds the voice never learned."""
        return self.rules.encode(sentence, language)

    def written(self, request: SpeechRequest, language: str) -> list[Token] | None:
        """Tokens of the request's phonemes or score, read without the front end; None for a text request."""
        phonemes = request.score.phonemes if request.score is not None else request.phonemes
        return None if phonemes is None else read_phonemes(phonemes, self.rules, language)
