"""What the web UI's controls do, without Gradio: voice choices and one synthesis."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from polyvox.errors import PolyvoxError
from polyvox.server.voice_cache import VoiceCache
from polyvox.server.voice_catalog import DEFAULT_VOICE_NAME, VoiceCatalog, VoiceFile
from polyvox.inference.score import Score
from polyvox.speech_request import SAMPLED_STYLE, SpeechRequest
from polyvox.synthesis_settings import SynthesisSettings
from polyvox.voice_file import VoiceMetadata

# The speaker choice that lets the voice pick one trained on the language.
AUTO_SPEAKER = "auto"
# Longest text the UI speaks at once (the server's default limit).
MAX_TEXT_CHARS = 4096
# The style menu's choices beside a voice's own labels; in parentheses, so no label (a manifest word) is mistaken for them.
NEUTRAL_STYLE = "(neutral)"
SAMPLED_STYLE_CHOICE = "(sampled from the text)"
# What the refusal of a voice trained with text features tells the user to pass.
TEXT_FEATURES_OPTION = "polyvox ui --text-features FOLDER"


class UiInputError(PolyvoxError, ValueError):
    """Input the UI cannot speak; the message is shown to the user as is."""


@dataclass(frozen=True)
class VoiceChoices:
    languages: list[str]
    speakers: list[str]
    # The style menu: NEUTRAL_STYLE, the voice's style labels, SAMPLED_STYLE_CHOICE with a style sampler; empty for a
    # voice without style (the style controls are hidden).
    styles: list[str]
    speed: float = 1.0  # the voice's own speaking rate (synthesis_settings.py): where the speed slider starts


class UiVoices:
    """Voices of the UI: the default voice plus a folder, loaded on first use, a few kept in memory; ``text_features``:
    the model folder that voices trained with text features read each sentence with."""

    def __init__(self, default_voice: Path, voices_dir: Path | None, cache_size: int = 2, text_features: Path | None = None) -> None:
        self.catalog = VoiceCatalog(default_voice, voices_dir)
        self.cache = VoiceCache(cache_size, text_features=text_features, text_features_option=TEXT_FEATURES_OPTION)

    def check_text_features(self, voice_name: str) -> None:
        """Refuse in one line (``TextFeaturesError``, as ``polyvox say``) a voice trained with text features when the UI
        has no model folder or another model's; reads the voice's metadata and hashes the folder, loads no model."""
        from polyvox.inference.voice import voice_text_features

        voice_file = self._voice_file(voice_name)
        voice_text_features(self.catalog.metadata(voice_file), self.cache.text_features, str(voice_file.path), TEXT_FEATURES_OPTION)

    def voice_names(self) -> list[str]:
        names = [voice_file.name for voice_file, _ in self.catalog.readable()]
        # The default voice first: it is what a first visitor should hear.
        return sorted(names, key=lambda name: (name != DEFAULT_VOICE_NAME, name))

    def _voice_file(self, voice_name: str) -> VoiceFile:
        voice_file = self.catalog.find(voice_name)
        if voice_file is None:
            raise UiInputError(f"voice {voice_name!r} is gone from the voices folder; reload the page")
        return voice_file

    def choices(self, voice_name: str) -> VoiceChoices:
        metadata = self.catalog.metadata(self._voice_file(voice_name))
        model = metadata.config.model
        sampled = [SAMPLED_STYLE_CHOICE] if model.style_sampler.enabled else []
        # A style voice without labels still takes a style reference clip (and a sampled style with a sampler).
        styles = [NEUTRAL_STYLE, *model.style.labels, *sampled] if model.style.enabled else []
        return VoiceChoices(list(metadata.languages), [AUTO_SPEAKER, *metadata.speakers], styles, self._own_speed(metadata))

    @staticmethod
    def _own_speed(metadata: VoiceMetadata) -> float:
        return SynthesisSettings.from_info(metadata.info).speed

    def speak(
        self,
        text: str,
        voice_name: str,
        language: str,
        speaker: str,
        speed: float | None,
        pitch: float,
        seed: float | None = None,
        reference: str | None = None,
        phonemes: str = "",
        score: str | None = None,
        style: str | None = None,
        style_strength: float = 1.0,
        style_reference: str | None = None,
        reference_pitch: bool = True,
    ) -> tuple[int, np.ndarray]:
        """(sample rate, 16-bit samples) of ``text``, or of ``phonemes`` (the voice's symbols) or a ``score`` file given
        in its place; ``style`` is a choice of the style menu (None: neutral), ``style_reference`` a clip whose style to
        speak in, ``style_strength`` scales a label's or the clip's, ``reference_pitch`` follows the reference clip's
        pitch; bad input raises ``UiInputError`` or a polyvox error."""
        if sum(bool(given) for given in (text.strip(), phonemes.strip(), score)) > 1:
            raise UiInputError("give the text, the phonemes or a score, one of them: clear the others")
        said = phonemes if phonemes.strip() else text
        if not said.strip() and not score:
            raise UiInputError("type some text to speak")
        if len(said) > MAX_TEXT_CHARS:
            raise UiInputError(f"the text has {len(said)} characters; speak at most {MAX_TEXT_CHARS} at a time")
        voice_file = self._voice_file(voice_name)
        # The slider left at the voice's own rate asks for nothing (so a score, which sets its own durations, is taken).
        speed = None if speed == self._own_speed(self.catalog.metadata(voice_file)) else speed
        request = SpeechRequest(
            "" if phonemes.strip() else text, language, speed=speed, pitch=pitch, seed=None if seed is None else int(seed),
            phonemes=phonemes if phonemes.strip() else None, score=Score.read(score) if score else None,
            # The uploaded clip sets the voice; the speaker menu is then ignored.
            speaker=None if reference or speaker == AUTO_SPEAKER else speaker, reference=reference or None,
            reference_pitch=bool(reference_pitch), **style_options(style, style_strength, style_reference),
        )
        with self.cache.get(voice_file).borrow() as voice:
            result = voice.synthesize(request)
        return result.sample_rate, (np.clip(result.samples, -1.0, 1.0) * 32767).astype(np.int16)


def style_options(style: str | None, strength: float, reference: str | None = None) -> dict[str, object]:
    """The request's style fields for a style-menu choice and a style reference clip; the strength slider counts for a
    label or a clip only (neutral and sampled styles have none, and a request refuses one without them). A clip with a
    label or a sampled style is passed on as both: the request refuses that in one line."""
    options: dict[str, object] = {"style_reference": reference} if reference else {}
    if style == SAMPLED_STYLE_CHOICE:
        options["style"] = SAMPLED_STYLE
    elif style is not None and style != NEUTRAL_STYLE:
        options["emotion"] = style
    if "emotion" in options or "style_reference" in options:
        options["style_strength"] = strength
    return options
