"""A fine-tuned voice speaks each language of its data in a speaker who learned it when none is asked for."""

from __future__ import annotations

import json

from polyvox.data.manifest import Utterance
from polyvox.finetune.default_speakers import with_data_speakers
from polyvox.inference.request import default_speakers

SPEAKERS = ("zh_f3", "zh_m1", "piper_joe", "kokoro_jf_alpha", "kokoro_jm_kumo")
LANGUAGES = ("en", "es", "zh")


def clips(language: str, speaker: str, count: int) -> list[Utterance]:
    return [Utterance(f"{speaker}_{language}_{index}.wav", "text", speaker, language, 2.0) for index in range(count)]


def test_a_language_without_a_speaker_named_for_it_gets_its_data_speaker():
    data = clips("en", "kokoro_jf_alpha", 3) + clips("en", "piper_joe", 5) + clips("es", "kokoro_jm_kumo", 2) + clips("zh", "zh_m1", 4)
    info = with_data_speakers({"steps": "10"}, LANGUAGES, SPEAKERS, data)
    # zh keeps its named speaker's rule (zh_f3); en and es no longer fall back to the first speaker, zh_f3.
    assert json.loads(info["default_speakers"]) == {"en": "piper_joe", "es": "kokoro_jm_kumo"}
    assert info["steps"] == "10"
    assert default_speakers(info, LANGUAGES, SPEAKERS) == {"en": "piper_joe", "es": "kokoro_jm_kumo"}


def test_a_chosen_or_named_speaker_is_kept():
    data = clips("en", "piper_joe", 5) + clips("es", "kokoro_jm_kumo", 2)
    chosen = {"default_speakers": json.dumps({"en": "kokoro_jf_alpha"})}
    info = with_data_speakers(chosen, LANGUAGES, SPEAKERS, data)
    assert json.loads(info["default_speakers"]) == {"en": "kokoro_jf_alpha", "es": "kokoro_jm_kumo"}
    named = with_data_speakers({}, ("en",), ("en_f3", "ann"), clips("en", "ann", 4))
    assert named == {}  # en_f3 speaks en by its name, as before
