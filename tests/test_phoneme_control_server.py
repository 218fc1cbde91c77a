"""Phonemes and scores over HTTP: JSON fields of /v1/audio/speech; bad ones are a one-line 400, never a 500."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from fastapi.testclient import TestClient  # noqa: E402

from polyvox.inference.phoneme_input import text_as_phonemes  # noqa: E402
from polyvox.inference.result import SynthesisError  # noqa: E402
from polyvox.inference.voice import Voice  # noqa: E402
from polyvox.server import ServerSettings, create_app  # noqa: E402
from tiny_voices import make_tiny_voice  # noqa: E402

SPEECH = "/v1/audio/speech"
NOTES = [{"phoneme": "h", "ms": 60}, {"phoneme": "ə", "ms": 200, "midi": 57}, {"phoneme": "l", "ms": 80, "hz": 220},
         {"phoneme": "oʊ/ˈ", "ms": 300, "midi": 60, "energy_db": -3}]


@pytest.fixture(scope="module")
def voice_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_voice(tmp_path_factory.mktemp("voices") / "alpha.safetensors", seed=0)


@pytest.fixture(scope="module")
def client(voice_file: Path) -> Iterator[TestClient]:
    settings = ServerSettings(default_voice=voice_file, voices_dir=voice_file.parent)
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def speak(client: TestClient, **fields: object):
    body = {"model": "tts-1", "input": "", "voice": "alpha", "response_format": "wav", "seed": 1, **fields}
    return client.post(SPEECH, json=body)


def audio(response) -> np.ndarray:
    assert response.status_code == 200, response.text
    samples, _ = soundfile.read(io.BytesIO(response.content), dtype="float32")
    return samples


def test_phonemes_speak_as_the_text_does(client: TestClient, voice_file: Path) -> None:
    phonemes = text_as_phonemes("Hello world.", Voice.load(voice_file).text.rules, "en")
    by_phonemes = audio(speak(client, phonemes=phonemes))
    by_text = audio(speak(client, input="Hello world."))
    np.testing.assert_array_equal(by_phonemes, by_text)
    streamed = audio(speak(client, phonemes=phonemes, stream=True))
    np.testing.assert_allclose(streamed, by_text, atol=1 / 32767)


def test_score_sets_the_length(client: TestClient, voice_file: Path) -> None:
    samples = audio(speak(client, score={"notes": NOTES}))
    rate = Voice.load(voice_file).sample_rate
    assert abs(len(samples) / rate - sum(note["ms"] for note in NOTES) / 1000) < 0.02
    assert len(audio(speak(client, score={"notes": NOTES}, stream=True))) == len(samples)


BAD = [
    ("unknown phoneme", {"phonemes": "h ə ʔ"}, "unsupported_text", ("'ʔ'", "nearest")),
    ("phonemes and input", {"phonemes": "h ə", "input": "Hello"}, "conflicting_input", ("not two",)),
    ("empty phonemes", {"phonemes": " "}, "empty_input", ("phonemes are empty",)),
    ("only word marks", {"phonemes": "| ."}, "empty_input", ("no sound to say",)),
    ("only a pause sung", {"score": {"notes": [{"phoneme": "|", "ms": 100}]}}, "empty_input", ("no sound to say",)),
    ("score not an object", {"score": [1, 2]}, "invalid_request", ("score",)),
    ("negative duration", {"score": {"notes": [{"phoneme": "h", "ms": -1}]}}, "invalid_score", ("note 1", "above 0")),
    ("pitch out of range", {"score": {"notes": [{"phoneme": "ə", "ms": 90, "hz": 5000}]}}, "invalid_score", ("71 to 800 Hz",)),
    ("no notes", {"score": {"notes": []}}, "invalid_score", ('"notes"',)),
    ("huge MIDI note", {"score": {"notes": [{"phoneme": "ə", "ms": 90, "midi": 1e308}]}}, "invalid_score", ("out of range",)),  # was a 500
    ("unknown score phoneme", {"score": {"notes": [{"phoneme": "ʔ", "ms": 90}]}}, "unsupported_text", ("'ʔ'",)),
    ("score with speed", {"score": {"notes": NOTES}, "speed": 2}, "invalid_request", ("leave speed at 1",)),
    ("score out of range by pitch", {"score": {"notes": NOTES}, "pitch": 24}, "invalid_request", ("outside 71 to 800 Hz",)),
]


@pytest.mark.parametrize(("fields", "code", "fragments"), [case[1:] for case in BAD], ids=[case[0] for case in BAD])
def test_bad_phonemes_and_scores_are_400(client: TestClient, fields: dict[str, object], code: str, fragments: tuple[str, ...]) -> None:
    response = speak(client, **fields)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == code, error
    assert "\n" not in error["message"]
    for fragment in fragments:
        assert fragment in error["message"], error["message"]


def test_the_ui_speaks_phonemes(voice_file: Path) -> None:
    from polyvox.ui.voices import UiInputError, UiVoices

    voices = UiVoices(voice_file, None)
    name = voices.voice_names()[0]
    phonemes = text_as_phonemes("Hello world.", Voice.load(voice_file).text.rules, "en")
    by_phonemes = voices.speak("", name, "en", "auto", 1.0, 0.0, 1, None, phonemes)
    by_text = voices.speak("Hello world.", name, "en", "auto", 1.0, 0.0, 1, None)
    np.testing.assert_array_equal(by_phonemes[1], by_text[1])
    with pytest.raises(UiInputError, match="one of them"):
        voices.speak("Hello world.", name, "en", "auto", 1.0, 0.0, 1, None, phonemes)


def test_the_ui_sings_a_score_file(voice_file: Path, tmp_path: Path) -> None:
    from polyvox.ui.voices import UiVoices

    voices = UiVoices(voice_file, None)
    score = tmp_path / "notes.json"
    score.write_text(json.dumps({"notes": NOTES}), encoding="utf-8")
    rate, samples = voices.speak("", voices.voice_names()[0], "en", "auto", 1.0, 0.0, 1, None, "", str(score))
    assert abs(len(samples) / rate - sum(note["ms"] for note in NOTES) / 1000) < 0.02
    score.write_text('{"notes": [{"phoneme": "h", "ms": -1}]}', encoding="utf-8")
    with pytest.raises(SynthesisError, match="above 0"):
        voices.speak("", voices.voice_names()[0], "en", "auto", 1.0, 0.0, 1, None, "", str(score))
