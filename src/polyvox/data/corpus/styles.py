"""Style labels of a generated corpus: each is a set of espeak-ng settings relative to the speaker's own.

A speaker keeps its name and its espeak variant (its timbre) under every style but whisper, so a voice
trained on a styled corpus finds who speaks in the speaker and how in the style (the manifest's ``style``).
The settings are chosen so that the labels differ audibly and measurably (``evaluation/prosody.py``);
``docs/preparing-data.md`` lists what each does and what it measures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from polyvox.data.corpus.errors import CorpusError
from polyvox.data.corpus.espeak_engine import VoiceSettings
from polyvox.data.corpus.speakers import ESPEAK_VOICES, Speaker

# espeak-ng's own limits: rate in words per minute, pitch and range 0-100.
MIN_RATE, MAX_RATE = 80, 450
MAX_PITCH = 100


@dataclass(frozen=True)
class CorpusStyle:
    """How a style changes a speaker's espeak settings."""

    name: str
    description: str
    pitch_shift: int = 0  # added to the speaker's pitch (espeak's 0-100 scale)
    pitch_range_factor: float = 1.0  # multiplies the speaker's pitch range (the intonation's swing)
    rate_factor: float = 1.0  # multiplies the speaker's rate
    # The level, as a gain on espeak's output: espeak's own volume parameter, once set, changes the audio of every
    # later clip of the engine (even set to its default), and an unlabelled corpus must stay byte for byte as it was.
    gain_db: float = 0.0
    whisper: bool = False  # espeak's whisper variant (whisperf for a female speaker) replaces the speaker's
    # A teacher's speech is moved this many semitones instead (``teacher_styles``): about what pitch_shift does to
    # espeak-ng's speakers (measured: excited +4.3, sad -3.7, calm -0.7 semitones).
    semitones: float = 0.0

    def settings_for(self, speaker: Speaker) -> VoiceSettings:
        """The speaker's espeak settings under this style (the gain is applied to the audio: ``applied_gain``)."""
        settings = speaker.settings
        voice_names = settings.voice_names
        if self.whisper:
            variant = "whisperf" if speaker.name.split("_")[1].startswith("f") else "whisper"
            voice_names = tuple(f"{voice}+{variant}" for voice in ESPEAK_VOICES[speaker.language])
        return replace(
            settings,
            voice_names=voice_names,
            pitch=_clamp(settings.pitch + self.pitch_shift, 0, MAX_PITCH),
            pitch_range=_clamp(round(settings.pitch_range * self.pitch_range_factor), 0, MAX_PITCH),
            rate=_clamp(round(settings.rate * self.rate_factor), MIN_RATE, MAX_RATE),
        )


CORPUS_STYLES: dict[str, CorpusStyle] = {
    style.name: style
    for style in (
        CorpusStyle("neutral", "the speaker's own settings"),
        CorpusStyle(
            "calm", "slower, with a narrow pitch range, a little quieter", pitch_range_factor=0.4, rate_factor=0.8, gain_db=-2.0,
            semitones=-0.5,
        ),
        CorpusStyle(
            "excited", "higher, with a wide pitch range, faster, louder",
            pitch_shift=18, pitch_range_factor=1.6, rate_factor=1.25, gain_db=3.0, semitones=4.0,
        ),
        CorpusStyle(
            "sad", "lower, slower, with a narrow pitch range, quieter", pitch_shift=-15, pitch_range_factor=0.5, rate_factor=0.75,
            gain_db=-8.0, semitones=-3.5,
        ),
        CorpusStyle("whisper", "espeak's whisper variant (unvoiced), quieter", whisper=True, gain_db=-6.0),
    )
}


def corpus_styles(names: Sequence[str]) -> tuple[CorpusStyle, ...]:
    """The styles named (each once, in the order given); an unknown name is an error listing the known ones."""
    unique = tuple(dict.fromkeys(name.strip() for name in names if name.strip()))
    unknown = [name for name in unique if name not in CORPUS_STYLES]
    if unknown:
        raise CorpusError(f"unknown corpus style(s) {', '.join(unknown)}; known: {', '.join(CORPUS_STYLES)}")
    return tuple(CORPUS_STYLES[name] for name in unique)


def _clamp(value: int, low: int, high: int) -> int:
    return max(low, min(high, value))
