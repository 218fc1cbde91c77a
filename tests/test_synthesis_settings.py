"""A voice's own synthesis settings: a request that leaves speed or noise out speaks with them, in every engine and
front end; a request's own value wins; a bad setting is warned about and never stops the voice."""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path

import numpy as np
import pytest
import soundfile
from onnx_voices import make_voice
from typer.testing import CliRunner

from polyvox.cli import app
from polyvox.synthesis_settings import INFO_KEY, STANDARD, SynthesisSettings
from polyvox.voice_file import load_voice_file, save_voice
from tiny_voices import ENGLISH

OWN = SynthesisSettings(speed=0.5, noise_scale=0.0, noise_scale_duration=0.0)
NOTES = [{"phoneme": "h", "ms": 60}, {"phoneme": "ə", "ms": 200, "midi": 57}]


def with_settings(path: Path, settings: SynthesisSettings, to: Path) -> Path:
    tensors, metadata = load_voice_file(path)
    return save_voice(to, tensors, dataclasses.replace(metadata, info={**metadata.info, INFO_KEY: settings.to_info()}))


@pytest.fixture(scope="module")
def voice_paths(tmp_path_factory) -> tuple[Path, Path]:
    """The same weights without and with OWN settings (a deterministic duration path, so lengths compare exactly)."""
    folder = tmp_path_factory.mktemp("settings")
    plain = make_voice(folder / "plain.safetensors", "hifigan", stochastic_weight=0.0)
    return plain, with_settings(plain, OWN, folder / "own.safetensors")


def test_the_settings_read_from_a_voice_info() -> None:
    assert SynthesisSettings.from_info({}) == STANDARD
    assert SynthesisSettings.from_info({INFO_KEY: OWN.to_info()}) == OWN
    # A Piper voice imported before the key existed: Piper's names, its length scale the inverse of a speed.
    piper = {"piper_noise_scale": "0.333", "piper_length_scale": "1.25", "piper_noise_w": "0.5"}
    assert SynthesisSettings.from_info(piper) == SynthesisSettings(speed=0.8, noise_scale=0.333, noise_scale_duration=0.5)
    assert SynthesisSettings(speed=0.8).for_request(None, 0.1, None) == SynthesisSettings(speed=0.8, noise_scale=0.1)


@pytest.mark.parametrize(
    ("stored", "warning"),
    [
        ('{"speed": 9}', "speed must be between 0.25 and 4, got 9"),
        ('{"noise_scale": "loud"}', "'loud' is not a number"),
        ('{"tempo": 2}', "['tempo'] are unknown"),
        ("[1, 2]", "not a JSON object"),
        ("{not json", "not a JSON object"),
    ],
)
def test_a_bad_setting_is_warned_about_and_left_standard(stored: str, warning: str, caplog) -> None:
    with caplog.at_level(logging.WARNING):
        assert SynthesisSettings.from_info({INFO_KEY: stored}) == STANDARD
    assert warning in caplog.text


def test_a_request_without_settings_speaks_with_the_voices_own(voice_paths) -> None:
    from polyvox.inference.voice import Voice

    plain, own = (Voice.load(path) for path in voice_paths)
    explicit = {"speed": OWN.speed, "noise_scale": OWN.noise_scale, "noise_scale_duration": OWN.noise_scale_duration}
    left_out = own.synthesize(ENGLISH, seed=3).samples
    np.testing.assert_array_equal(left_out, plain.synthesize(ENGLISH, seed=3, **explicit).samples)
    # Half the speed: twice the frames of the standard settings' speech.
    standard = plain.synthesize(ENGLISH, seed=3).samples
    assert len(left_out) > 1.8 * len(standard)
    # The request's own values win over the voice's.
    np.testing.assert_array_equal(own.synthesize(ENGLISH, seed=3, speed=1.0, noise_scale=0.0).samples,
                                  plain.synthesize(ENGLISH, seed=3, noise_scale=0.0).samples)
    # A score sets its own durations: the voice's speed does not refuse it or stretch it.
    sung = {"score": {"notes": NOTES}, "seed": 1, "noise_scale": 0.0}
    assert len(own.synthesize("", **sung).samples) == len(plain.synthesize("", **sung).samples)


def test_the_onnx_export_carries_the_voices_settings(voice_paths, tmp_path) -> None:
    from polyvox.export.onnx_export import export_onnx
    from polyvox.export.metadata import metadata_path
    from polyvox.inference.onnx_voice import OnnxVoice

    export_onnx(voice_paths[1], tmp_path / "voice.onnx")
    inference = json.loads(metadata_path(tmp_path / "voice.onnx").read_text())["inference"]
    assert inference == {"length_scale": 2.0, "noise_scale": 0.0, "noise_scale_duration": 0.0}
    onnx_voice = OnnxVoice.load(tmp_path / "voice.onnx", threads=1)
    np.testing.assert_array_equal(
        onnx_voice.synthesize(ENGLISH, seed=3).samples, onnx_voice.synthesize(ENGLISH, seed=3, speed=0.5, noise_scale=0.0).samples
    )


def test_say_speaks_with_the_voices_settings_unless_told(voice_paths, tmp_path) -> None:
    runner = CliRunner()
    lengths = {}
    for name, arguments in (("own", []), ("told", ["--speed", "1"]), ("plain", [])):
        voice = voice_paths[0] if name == "plain" else voice_paths[1]
        result = runner.invoke(app, ["say", ENGLISH, "--voice", str(voice), "--seed", "3", *arguments, "-o", str(tmp_path / f"{name}.wav")])
        assert result.exit_code == 0, result.output
        lengths[name] = soundfile.info(str(tmp_path / f"{name}.wav")).frames
    assert lengths["own"] > 1.8 * lengths["plain"]
    assert lengths["told"] == lengths["plain"]
