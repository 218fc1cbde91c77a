"""``polyvox doctor`` catches a changed decoder config and a NaN parameter, and passes a healthy voice."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file
from typer.testing import CliRunner

from polyvox.voice_file import VoiceMetadata, save_voice
from polyvox.cli import app
from polyvox.config import preset
from polyvox.doctor import diagnose, format_report
from polyvox.models.vits import VitsGenerator
from polyvox.text import SymbolTable

NAN_PARAMETER = "flow.couplings.1.wavenet.input_convs.0.bias"
# The tiny preset up-samples by (8, 8, 4); the same total in another order is another decoder.
REORDERED_DECODER = {"model.decoder.upsample_rates": [8, 4, 8], "model.decoder.upsample_kernel_sizes": [16, 8, 16]}


@pytest.fixture(scope="module")
def voice_file(tmp_path_factory) -> Path:
    config = preset("tiny", ("en",))
    symbols = SymbolTable.from_sequences([["h", "ə", "l", "oʊ", "w", "ɜː", "d"]])
    metadata = VoiceMetadata(config=config, symbols=symbols, languages=("en",), speakers=("en_a",), info={})
    torch.manual_seed(0)
    generator = VitsGenerator(config.model, len(symbols), 1, config.audio.n_mels, config.audio.hop_length)
    return save_voice(tmp_path_factory.mktemp("voice") / "tiny.safetensors", generator.state_dict(), metadata)


def _rewrite(source: Path, target: Path, tensors=None, strings=None) -> Path:
    with safe_open(str(source), framework="pt") as handle:
        metadata = handle.metadata()
    save_file(tensors if tensors is not None else load_file(str(source)), str(target), metadata=strings or metadata)
    return target


def test_healthy_voice_passes(voice_file):
    report = diagnose(voice_file)
    assert report.passed, format_report(report)
    names = [check.name for check in report.modules]
    assert names == [
        "text_encoder", "speaker_embedding", "duration_predictor", "stochastic_duration_predictor",
        "flow (reverse)", "posterior_encoder", "decoder",
    ]
    assert all(check.finite and check.max_abs < 1e4 for check in report.modules)
    result = CliRunner().invoke(app, ["doctor", str(voice_file)])
    assert result.exit_code == 0, result.output
    assert "PASS" in result.output and "decoder" in result.output


def test_config_with_another_decoder_fails_naming_the_fields(voice_file, tmp_path):
    changed = preset("tiny").replace(**REORDERED_DECODER)
    config_path = tmp_path / "changed.json"
    config_path.write_text(changed.to_json())
    report = diagnose(voice_file, changed)
    assert not report.passed
    assert [d.field for d in report.differences] == ["model.decoder.upsample_rates", "model.decoder.upsample_kernel_sizes"]
    result = CliRunner().invoke(app, ["doctor", str(voice_file), "--config", str(config_path)])
    assert result.exit_code == 1
    assert "model.decoder.upsample_rates: checkpoint=[8, 8, 4], given=[8, 4, 8]" in result.output
    assert "FAIL" in result.output
    decoder_type = CliRunner().invoke(
        app, ["doctor", str(voice_file), "--config", str(config_path), "--set", "model.decoder.type=istft",
              "--set", "model.decoder.upsample_rates=[8,8]", "--set", "model.decoder.upsample_kernel_sizes=[16,16]"],
    )
    assert decoder_type.exit_code == 1
    assert 'model.decoder.type: checkpoint="hifigan", given="istft"' in decoder_type.output


def test_embedded_config_edited_after_training_fails(voice_file, tmp_path):
    with safe_open(str(voice_file), framework="pt") as handle:
        strings = dict(handle.metadata())
    config = json.loads(strings["config"])
    config["model"]["decoder"]["type"] = "istft"
    config["model"]["decoder"]["upsample_rates"] = [8, 8]
    config["model"]["decoder"]["upsample_kernel_sizes"] = [16, 16]
    strings["config"] = json.dumps(config)
    edited = _rewrite(voice_file, tmp_path / "edited.safetensors", strings=strings)
    report = diagnose(edited)
    assert not report.passed
    assert "model.decoder.type" in [d.field for d in report.differences]
    assert any("decoder.conv_post" in problem for problem in report.load_problems)


def test_nan_parameter_is_named_with_the_first_module_it_breaks(voice_file, tmp_path):
    tensors = load_file(str(voice_file))
    tensors[NAN_PARAMETER][0] = math.nan
    broken = _rewrite(voice_file, tmp_path / "nan.safetensors", tensors=tensors)
    report = diagnose(broken)
    assert not report.passed
    assert report.nonfinite_parameters == [NAN_PARAMETER]
    assert report.first_nonfinite_module == "flow (reverse)"
    assert report.first_nonfinite_submodule.startswith("flow.couplings.1.wavenet")
    # Modules before the flow still run clean; the decoder inherits the NaN.
    by_name = {check.name: check for check in report.modules}
    assert by_name["text_encoder"].finite and not by_name["decoder"].finite
    result = CliRunner().invoke(app, ["doctor", str(broken)])
    assert result.exit_code == 1
    assert NAN_PARAMETER in result.output
    assert "first module producing NaN/Inf: flow (reverse)" in result.output


def test_missing_file_is_a_one_line_error(tmp_path):
    result = CliRunner().invoke(app, ["doctor", str(tmp_path / "nothing.safetensors")])
    assert result.exit_code == 1
    assert "voice file not found" in result.output
