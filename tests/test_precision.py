"""Decoder precision for synthesis: bfloat16 is an opt-in speed path that stays close to float32 and never
reaches training; "auto" only picks it where the CPU computes bfloat16 natively."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from polyvox.cli import DEFAULT_VOICE, app
from polyvox.inference import speed
from polyvox.inference.speed import resolve_precision, set_decoder_precision
from polyvox.inference.voice import Voice

SENTENCE = "The old lighthouse keeper climbed the stairs every evening."


@pytest.fixture(scope="module")
def voices() -> dict[str, Voice]:
    return {name: Voice.load(DEFAULT_VOICE, precision=name) for name in ("float32", "bfloat16")}


def signal_to_difference_db(reference: np.ndarray, other: np.ndarray) -> float:
    return float(10 * np.log10(np.sum(reference**2) / np.sum((reference - other) ** 2)))


def test_bfloat16_decoder_stays_close_to_float32(voices) -> None:
    exact = voices["float32"].synthesize(SENTENCE, "en", seed=4).samples
    fast = voices["bfloat16"].synthesize(SENTENCE, "en", seed=4).samples
    assert fast.dtype == np.float32 and fast.shape == exact.shape
    assert not np.array_equal(fast, exact)  # it did compute in bfloat16
    # benchmarks/inference_speed.py measures ~50 dB on this voice; far below its error against its references.
    assert signal_to_difference_db(exact, fast) > 30.0


def test_bfloat16_streaming_joins_to_the_same_length(voices) -> None:
    whole = voices["bfloat16"].synthesize(SENTENCE, "en", seed=4).samples
    streamed = np.concatenate(list(voices["bfloat16"].stream(SENTENCE, "en", seed=4)))
    assert streamed.shape == whole.shape
    assert signal_to_difference_db(whole, streamed) > 30.0


def test_float32_is_the_default_and_exact(voices) -> None:
    plain = Voice.load(DEFAULT_VOICE)
    assert plain.generator.decoder.compute_dtype is None
    np.testing.assert_array_equal(
        plain.synthesize(SENTENCE, "en", seed=1).samples, voices["float32"].synthesize(SENTENCE, "en", seed=1).samples
    )


def test_auto_uses_bfloat16_only_on_cpus_that_have_it(monkeypatch) -> None:
    monkeypatch.setattr(speed, "native_bfloat16", lambda: False)
    assert resolve_precision("auto") == "float32"
    monkeypatch.setattr(speed, "native_bfloat16", lambda: True)
    assert resolve_precision("auto") == "bfloat16"
    assert resolve_precision("float32") == "float32"


def test_unknown_precision_is_refused_before_loading(tmp_path) -> None:
    with pytest.raises(ValueError, match="choose one of float32, bfloat16, auto"):
        Voice.load(tmp_path / "missing.safetensors", precision="float16")
    result = CliRunner().invoke(app, ["say", "hello", "-o", str(tmp_path / "x.wav"), "--precision", "half"])
    assert result.exit_code != 0
    assert "--precision must be float32, bfloat16 or auto" in result.output
    assert not (tmp_path / "x.wav").exists()


def test_precision_is_a_synthesis_setting_not_a_training_one(voices) -> None:
    generator = voices["bfloat16"].generator
    assert generator.decoder.compute_dtype == torch.bfloat16
    assert set_decoder_precision(generator, "float32") == "float32"
    assert generator.decoder.compute_dtype is None
    set_decoder_precision(generator, "bfloat16")
    # The weights themselves stay float32: saving or exporting the voice is unaffected.
    assert all(parameter.dtype == torch.float32 for parameter in generator.parameters())


def test_say_writes_audio_with_bfloat16(tmp_path) -> None:
    output = tmp_path / "fast.wav"
    result = CliRunner().invoke(app, ["say", "Hello there.", "-o", str(output), "--precision", "bfloat16", "--seed", "0"])
    assert result.exit_code == 0, result.output
    assert output.stat().st_size > 1000
