"""Named synthetic speakers: an espeak voice variant plus pitch, pitch range and rate.

A speaker's settings follow from its name alone (``"en_f3"``, ``"de_m1"``, ``"fr_m2_b"``), so the
same name always sounds the same.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from polyvox.data.corpus.errors import CorpusError
from polyvox.data.corpus.espeak_engine import VoiceSettings

# espeak voice names to try, in order, for each language ("fr-fr+m3" fails where "fr+m3" works).
ESPEAK_VOICES: dict[str, tuple[str, ...]] = {
    "en": ("en-us", "en"),
    "es": ("es", "es-419"),
    "fr": ("fr", "fr-fr"),
    "de": ("de",),
    "zh": ("cmn", "zh"),
    "ja": ("ja",),
    "ru": ("ru",),
    "ar": ("ar",),
}

# Variants in the order speakers are handed out: alternating female and male.
VARIANT_ORDER: tuple[str, ...] = ("f3", "m1", "f1", "m3", "f2", "m2", "f4", "m4", "f5", "m5", "m6", "m7")
# Base pitch (espeak 0-100) per variant family; male variants sit lower, female higher.
_BASE_PITCH = {"f": 62, "m": 38}
# Extra suffixes once every variant is used: the same variant with other pitch/rate settings.
_EXTRA_SUFFIXES = ("b", "c", "d", "e", "g", "h")
# How many distinct speakers a language has: each variant plain and with each suffix.
MAX_SPEAKERS_PER_LANGUAGE = len(VARIANT_ORDER) * (1 + len(_EXTRA_SUFFIXES))


@dataclass(frozen=True)
class Speaker:
    """A synthetic speaker: its name, language and espeak settings."""

    name: str
    language: str
    settings: VoiceSettings


def speaker_from_name(name: str) -> Speaker:
    """Rebuild a speaker from its name ``<language>_<variant>[_<suffix>]``, e.g. ``"en_f3"``."""
    parts = name.split("_")
    if len(parts) not in (2, 3) or parts[0] not in ESPEAK_VOICES or parts[1] not in VARIANT_ORDER:
        raise CorpusError(
            f"bad speaker name {name!r}: expected <language>_<variant>[_<suffix>] with language in "
            f"{sorted(ESPEAK_VOICES)} and variant in {list(VARIANT_ORDER)}"
        )
    language, variant = parts[0], parts[1]
    digest = hashlib.sha256(name.encode()).digest()
    pitch = _BASE_PITCH[variant[0]] + digest[0] % 17 - 8
    pitch_range = 35 + digest[1] % 40
    rate = 150 + digest[2] % 50
    voice_names = tuple(f"{voice}+{variant}" for voice in ESPEAK_VOICES[language])
    return Speaker(name=name, language=language, settings=VoiceSettings(voice_names, rate=rate, pitch=pitch, pitch_range=pitch_range))


def speakers_for_language(language: str, count: int) -> list[Speaker]:
    """The first ``count`` speakers of ``language`` (always the same ones, in the same order)."""
    if language not in ESPEAK_VOICES:
        raise CorpusError(f"no synthetic speakers for language {language!r}; supported: {sorted(ESPEAK_VOICES)}")
    if not 1 <= count <= MAX_SPEAKERS_PER_LANGUAGE:
        raise CorpusError(f"speakers_per_language must be in 1..{MAX_SPEAKERS_PER_LANGUAGE}, got {count}")
    names = [f"{language}_{variant}" for variant in VARIANT_ORDER]
    names += [f"{language}_{variant}_{suffix}" for suffix in _EXTRA_SUFFIXES for variant in VARIANT_ORDER]
    return [speaker_from_name(name) for name in names[:count]]
