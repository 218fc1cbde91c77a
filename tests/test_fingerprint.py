"""Component fingerprints: recorded in voice files, compared on load, resume and init; partial loading reports."""

from __future__ import annotations

import json
import logging

import pytest
import torch
from safetensors import safe_open

from polyvox.voice_file import VoiceMetadata, save_voice
from polyvox.config import preset
from polyvox.data.manifest import Utterance
from polyvox.fingerprint import CompatibilityError, Difference, compare_fingerprints, component_fingerprint
from polyvox.inference.voice import Voice
from polyvox.models.vits import VitsGenerator
from polyvox.partial_loading import load_partial_state
from polyvox.text import SymbolTable
from polyvox.train.run import load_or_create_metadata
from polyvox.train.run_config import ResumeConfigError

ISTFT_DECODER = {
    "model.decoder.type": "istft",
    "model.decoder.upsample_rates": [8, 8],
    "model.decoder.upsample_kernel_sizes": [16, 16],
}


@pytest.fixture(scope="module")
def metadata() -> VoiceMetadata:
    symbols = SymbolTable.from_sequences([["h", "ə", "l", "oʊ"]])
    return VoiceMetadata(config=preset("tiny"), symbols=symbols, languages=("en",), speakers=("en_a",), info={})


@pytest.fixture(scope="module")
def voice_file(tmp_path_factory, metadata):
    config = metadata.config
    torch.manual_seed(0)
    generator = VitsGenerator(config.model, len(metadata.symbols), 1, config.audio.n_mels, config.audio.hop_length)
    return save_voice(tmp_path_factory.mktemp("voice") / "tiny.safetensors", generator.state_dict(), metadata)


def test_fingerprint_has_every_component(metadata):
    fingerprint = component_fingerprint(metadata)
    for field in (
        "model.decoder.type", "model.decoder.upsample_rates", "model.decoder.istft_n_fft", "audio.sample_rate",
        "audio.hop_length", "audio.n_fft", "audio.win_length", "audio.n_mels", "audio.mel_fmin", "audio.mel_fmax",
        "model.inter_channels", "model.speaker_channels", "model.text_encoder.hidden_channels", "model.flow.n_flows",
        "model.posterior.n_layers", "model.duration.filter_channels", "symbols.sha256", "symbols.size", "languages",
        "speakers", "text_features.name", "text_features.dim", "text_features.weights_sha256",
    ):
        assert field in fingerprint, field
    assert fingerprint["text_features.name"] == "none" and fingerprint["text_features.dim"] == 0
    assert fingerprint["symbols.sha256"] == metadata.symbols.fingerprint()
    # Training-schedule fields are not part of it.
    changed = VoiceMetadata(metadata.config.replace(**{"training.batch_size": 2}), metadata.symbols, ("en",), ("en_a",), {})
    assert compare_fingerprints(fingerprint, component_fingerprint(changed)) == []


def test_voice_file_records_its_fingerprint(voice_file, metadata):
    with safe_open(str(voice_file), framework="pt") as handle:
        recorded = json.loads(handle.metadata()["fingerprint"])
    assert compare_fingerprints(recorded, component_fingerprint(metadata)) == []


def test_differences_and_error_message(metadata):
    other = VoiceMetadata(metadata.config.replace(**ISTFT_DECODER), metadata.symbols, ("en", "de"), ("en_a",), {})
    differences = compare_fingerprints(component_fingerprint(metadata), component_fingerprint(other))
    assert Difference("model.decoder.type", "hifigan", "istft") in differences
    assert Difference("languages", ["en"], ["en", "de"]) in differences
    message = str(CompatibilityError("voice.safetensors", differences))
    assert 'model.decoder.type: checkpoint="hifigan", given="istft"' in message
    assert 'languages: checkpoint=["en"], given=["en", "de"]' in message
    assert "own config" in message and "partial=True" in message


def test_voice_load_with_another_config_stops_before_building(voice_file, metadata):
    assert Voice.load(voice_file, config=metadata.config).metadata.config == metadata.config
    with pytest.raises(CompatibilityError) as raised:
        Voice.load(voice_file, config=metadata.config.replace(**ISTFT_DECODER))
    fields = [d.field for d in raised.value.differences]
    assert fields == ["model.decoder.type", "model.decoder.upsample_rates", "model.decoder.upsample_kernel_sizes"]


def test_partial_load_reports_every_tensor_left_out(voice_file, metadata, caplog):
    with caplog.at_level(logging.WARNING, logger="polyvox.inference.voice"):
        voice = Voice.load(voice_file, config=metadata.config.replace(**ISTFT_DECODER), partial=True)
    assert voice.metadata.config.model.decoder.type == "istft"
    text = caplog.text
    assert "partial load" in text
    assert "shape mismatch (kept as initialised): decoder.conv_post.parametrizations.weight.original0" in text
    assert "decoder.ups.2" in text  # a stage the istft decoder does not have


def test_load_partial_state_report():
    module = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.Linear(3, 1))
    tensors = {"0.weight": torch.ones(3, 2), "0.bias": torch.ones(4), "2.weight": torch.ones(1)}
    report = load_partial_state(module, tensors)
    assert report.loaded == ["0.weight"]
    assert report.unexpected == ["2.weight"]
    assert report.shape_mismatched == [("0.bias", (4,), (3,))]
    assert report.missing == ["1.weight", "1.bias"]  # 0.bias is reported once, as a shape mismatch
    assert torch.equal(module[0].weight, torch.ones(3, 2))


def test_resume_and_init_from_refuse_another_architecture(tmp_path, metadata):
    utterances = [Utterance(audio="a.wav", text="hello", speaker="en_a", language="en", duration=1.0, phonemes=("h", "ə"), phoneme_durations=(0.5, 0.5))]
    run_dir = tmp_path / "run"
    created = load_or_create_metadata(run_dir, preset("tiny"), utterances, resume=False, init_from=None)
    # The schedule may change on resume.
    resumed = load_or_create_metadata(run_dir, preset("tiny").replace(**{"training.learning_rate": 1e-5}), utterances, True, None)
    assert resumed.config.training.learning_rate == 1e-5 and resumed.symbols == created.symbols
    with pytest.raises(ResumeConfigError) as raised:
        load_or_create_metadata(run_dir, preset("tiny").replace(**{"model.flow.n_flows": 3}), utterances, True, None)
    assert "model.flow.n_flows: checkpoint=2, given=3" in str(raised.value)
    with pytest.raises(ResumeConfigError, match="model.discriminator.periods"):
        load_or_create_metadata(run_dir, preset("tiny").replace(**{"model.discriminator.periods": [2]}), utterances, True, None)
    with pytest.raises(CompatibilityError, match="model.decoder.type"):
        load_or_create_metadata(tmp_path / "other", preset("tiny").replace(**ISTFT_DECODER), utterances, False, metadata)
