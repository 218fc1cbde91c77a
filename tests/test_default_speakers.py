"""A voice whose speakers speak several languages names the speaker each language uses by default; a trained or
fine-tuned voice names it from its data where no speaker is named for the language."""

from __future__ import annotations

import json
import logging

from polyvox.config import preset
from polyvox.data.default_speakers import with_data_speakers
from polyvox.data.manifest import Utterance
from polyvox.inference.request import VoiceText, default_speakers
from polyvox.text import SymbolTable

CONFIG = preset("tiny", ("en", "es"))
SPEAKERS = ("en_f3", "kokoro_jf_alpha", "es_m1")
TEACHER_SPEAKERS = ("zh_f3", "zh_m1", "piper_joe", "kokoro_jf_alpha", "kokoro_jm_kumo")
DATA_LANGUAGES = ("en", "es", "zh")


def voice_text(info: dict[str, str]) -> VoiceText:
    return VoiceText(CONFIG, SymbolTable.base(), ("en", "es"), SPEAKERS, info)


def test_named_default_speakers_win_over_the_name_convention():
    text = voice_text({"default_speakers": json.dumps({"es": "kokoro_jf_alpha"})})
    assert text.speaker_id(None, "es") == 1
    assert text.speaker_id(None, "en") == 0  # not named: the speaker whose name starts with the language
    assert text.speaker_id("es_m1", "es") == 2  # a speaker asked for is always used


def test_unknown_names_and_broken_json_fall_back_to_the_convention(caplog):
    assert voice_text({"default_speakers": json.dumps({"es": "nobody", "xx": "es_m1"})}).default_speakers == {}
    with caplog.at_level(logging.WARNING):
        assert voice_text({"default_speakers": "{not json"}).speaker_id(None, "es") == 2
    assert "default_speakers" in caplog.text


def clips(language: str, speaker: str, count: int, text: str = "text") -> list[Utterance]:
    return [Utterance(f"{speaker}_{language}_{index}.wav", text, speaker, language, 2.0) for index in range(count)]


def test_a_language_without_a_speaker_named_for_it_gets_its_data_speaker():
    data = clips("en", "kokoro_jf_alpha", 3) + clips("en", "piper_joe", 5) + clips("es", "kokoro_jm_kumo", 2) + clips("zh", "zh_m1", 4)
    info = with_data_speakers({"steps": "10"}, DATA_LANGUAGES, TEACHER_SPEAKERS, data)
    # zh keeps its named speaker's rule (zh_f3); en and es no longer fall back to the first speaker, zh_f3.
    assert json.loads(info["default_speakers"]) == {"en": "piper_joe", "es": "kokoro_jm_kumo"}
    assert info["steps"] == "10"
    assert default_speakers(info, DATA_LANGUAGES, TEACHER_SPEAKERS) == {"en": "piper_joe", "es": "kokoro_jm_kumo"}


def test_a_chosen_or_named_speaker_is_kept():
    data = clips("en", "piper_joe", 5) + clips("es", "kokoro_jm_kumo", 2)
    chosen = {"default_speakers": json.dumps({"en": "kokoro_jf_alpha"})}
    info = with_data_speakers(chosen, DATA_LANGUAGES, TEACHER_SPEAKERS, data)
    assert json.loads(info["default_speakers"]) == {"en": "kokoro_jf_alpha", "es": "kokoro_jm_kumo"}
    named = with_data_speakers({}, ("en",), ("en_f3", "ann"), clips("en", "ann", 4))
    assert named == {}  # en_f3 speaks en by its name, as before


def test_a_voice_trained_from_scratch_speaks_each_language_in_its_own_speaker():
    from polyvox.train.run import prepare_metadata

    data = clips("en", "alice", 3, "hello") + clips("de", "bob", 3, "hallo")
    metadata = prepare_metadata(preset("tiny", ("en", "de"), n_speakers=2), data)
    assert json.loads(metadata.info["default_speakers"]) == {"en": "alice", "de": "bob"}  # de no longer falls to alice
