"""A voice whose speakers speak several languages names the speaker each language uses by default."""

from __future__ import annotations

import json
import logging

from polyvox.config import preset
from polyvox.inference.request import VoiceText
from polyvox.text import SymbolTable

CONFIG = preset("tiny", ("en", "es"))
SPEAKERS = ("en_f3", "kokoro_jf_alpha", "es_m1")


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
