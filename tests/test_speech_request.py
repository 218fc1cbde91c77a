"""One ``SpeechRequest``: the CLI help, the HTTP schema and the UI show its defaults and ranges, every entry
point refuses the same values with one line, and the request and keyword forms speak the same audio."""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from polyvox.cli import app
from polyvox.inference.result import SynthesisError
from polyvox.server.schemas import SpeechRequest as SpeechBody
from polyvox.synthesis_settings import STANDARD
from polyvox.speech_request import DEFAULTS, SPECS, SpeechRequest, first_problem
from tiny_voices import ENGLISH, make_tiny_voice

BOUNDED = [name for name, spec in SPECS.items() if spec.bound is not None]


@pytest.fixture(scope="module")
def voice(tmp_path_factory):
    from polyvox.inference.voice import Voice

    return Voice.load(make_tiny_voice(tmp_path_factory.mktemp("voice") / "tiny.safetensors", seed=0))


def test_every_option_has_a_doc_and_the_defaults_are_within_their_ranges() -> None:
    for name, spec in SPECS.items():
        assert spec.doc, name
        if spec.bound is not None and DEFAULTS[name] is not None:
            assert spec.bound.low <= DEFAULTS[name] <= spec.bound.high, name
    # Speed and noise left out are the voice's own settings, else VITS's standard ones.
    assert DEFAULTS["speed"] is None and DEFAULTS["noise_scale"] is None and DEFAULTS["noise_scale_duration"] is None
    assert (STANDARD.speed, STANDARD.noise_scale, STANDARD.noise_scale_duration) == (1.0, 0.667, 0.8)


def test_the_ranges_are_the_widest_the_engines_support() -> None:
    from polyvox.audio.pitch import MAX_SEMITONES

    assert (SPECS["speed"].bound.low, SPECS["speed"].bound.high) == (0.25, 4.0)
    assert (SPECS["pitch"].bound.low, SPECS["pitch"].bound.high) == (-MAX_SEMITONES, MAX_SEMITONES) == (-24.0, 24.0)


@pytest.mark.parametrize("name", BOUNDED)
def test_the_http_schema_has_the_requests_default_and_range(name: str) -> None:
    schema = SpeechBody.model_json_schema()["properties"][name]
    bound = SPECS[name].bound
    assert schema.get("default") == DEFAULTS[name]
    # An optional field (seed) keeps its range on the integer branch of anyOf.
    ranged = next(branch for branch in schema.get("anyOf", [schema]) if "minimum" in branch)
    assert (ranged["minimum"], ranged["maximum"]) == (bound.low, bound.high)
    assert schema["description"] == SPECS[name].help()


def test_the_say_help_shows_the_requests_defaults_and_ranges() -> None:
    command = typer.main.get_command(app).commands["say"]
    by_option = {parameter.name: parameter for parameter in command.params}
    for field, option in (("language", "lang"), *((name, name) for name in SPECS if name not in ("text", "language"))):
        assert by_option[option].default == DEFAULTS[field], field
        assert by_option[option].help == SPECS[field].help(), field
    help_text = " ".join(CliRunner().invoke(app, ["say", "--help"]).output.split())
    assert "the trained rate; default: the voice's own setting, else 1 (0.25 to 4)." in help_text and "(-24 to 24)." in help_text
    assert "in the voice; 0 is deterministic; default: the voice's own setting, else 0.667 (0 to 2)." in help_text


def test_the_ui_sliders_span_the_requests_ranges() -> None:
    pytest.importorskip("gradio")
    from polyvox.ui.app import option_slider

    # The speed slider starts at the voice's own rate (the page passes it); pitch at the request's default.
    for name, value, shown in (("speed", 0.9, 0.9), ("pitch", None, DEFAULTS["pitch"])):
        slider = option_slider(name, 0.5, name, value)
        assert (slider.minimum, slider.maximum, slider.value) == (SPECS[name].bound.low, SPECS[name].bound.high, shown)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"speed": 10.0}, "speed must be between 0.25 and 4, got 10"),
        ({"pitch": 30.0}, "pitch must be between -24 and 24 semitones, got 30"),
        ({"noise_scale": -1.0}, "noise_scale must be between 0 and 2, got -1"),
        ({"noise_scale_duration": float("nan")}, "noise_scale_duration must be between 0 and 2, got nan"),
        ({"seed": -1}, "seed must be between 0 and 9223372036854775807, got -1"),
    ],
)
def test_a_value_out_of_range_is_one_line_everywhere(values: dict[str, float], message: str, voice, tmp_path) -> None:
    with pytest.raises(SynthesisError) as built:
        SpeechRequest("Hello.", **values)
    assert str(built.value) == message
    with pytest.raises(SynthesisError, match="must be between"):
        voice.synthesize(ENGLISH, **values)
    name, value = next(iter(values.items()))
    option = "--" + name.replace("_", "-")
    assert first_problem(values, lambda field: "--" + field.replace("_", "-")) == message.replace(name, option, 1)
    result = CliRunner().invoke(app, ["say", "Hello.", option, str(value), "-o", str(tmp_path / "x.wav")])
    assert result.exit_code == 1 and result.stderr.strip() == f"error: {message.replace(name, option, 1)}"
    assert not (tmp_path / "x.wav").exists() and "Traceback" not in result.output


def test_the_request_and_the_keyword_forms_speak_the_same(voice) -> None:
    options = {"speed": 1.2, "noise_scale": 0.5, "seed": 3, "pitch": 2.0}
    by_keywords = voice.synthesize(ENGLISH, **options).samples
    by_request = voice.synthesize(SpeechRequest(ENGLISH, **options)).samples
    positional = voice.synthesize(ENGLISH, None, None, 1.2, 0.5, SpeechRequest.noise_scale_duration, 3, 2.0).samples
    np.testing.assert_array_equal(by_request, by_keywords)
    np.testing.assert_array_equal(positional, by_keywords)
    streamed = np.concatenate(list(voice.stream(SpeechRequest(ENGLISH, **{**options, "pitch": 0.0}))))
    np.testing.assert_allclose(streamed, voice.synthesize(ENGLISH, **{**options, "pitch": 0.0}).samples, atol=1e-5)


def test_a_request_with_keyword_options_too_is_refused(voice) -> None:
    with pytest.raises(TypeError, match="not both"):
        voice.synthesize(SpeechRequest(ENGLISH), seed=1)
    with pytest.raises(TypeError):
        voice.synthesize(ENGLISH, sped=1.2)  # a misspelt option is an error, as before


def test_a_request_is_frozen_and_checks_a_replaced_value() -> None:
    request = SpeechRequest("Hello.", seed=1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        request.speed = 2.0  # type: ignore[misc]
    with pytest.raises(SynthesisError, match="speed"):
        dataclasses.replace(request, speed=0.0)


def test_language_and_speaker_are_checked_against_the_voice_with_the_existing_lines(voice) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(SynthesisError, match=r"^this voice does not speak 'fr'; it speaks: en, es$"):
            voice.synthesize(SpeechRequest(ENGLISH, language="fr"))
        with pytest.raises(SynthesisError, match=r"^unknown speaker 'nobody'; this voice has: "):
            voice.synthesize(SpeechRequest(ENGLISH, speaker="nobody"))
        with pytest.raises(SynthesisError, match=r"^speaker index 7 out of range: this voice has 2 speakers$"):
            voice.synthesize(SpeechRequest(ENGLISH, speaker=7))


def test_voice_source_forwards_its_former_seed_keyword_with_a_warning(voice) -> None:
    from polyvox.evaluation.sources import VoiceSource

    with pytest.warns(DeprecationWarning, match="options=SpeechRequest"):
        source = VoiceSource(voice, "voice", seed=3)
    assert source.options == SpeechRequest(seed=3)
