"""A voice trained with text features, exported to ONNX: its text graphs take each id's features as one more input,
the json names its model, and ``OnnxVoice`` computes the features with the torch engine's extractor, speaks as
``Voice`` does, and refuses a missing or other model folder with the same one-line error; the web page refuses it."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import onnxruntime
import pytest
import torch
from onnx_voices import LOG_FRAMES_BIAS
from test_style_onnx import NO_NOISE, make_style_voice
from text_feature_models import write_tiny_bert
from tiny_voices import SPEAKERS, covering_symbols
from typer.testing import CliRunner

from polyvox.cli import app
from polyvox.config import preset
from polyvox.export.metadata import OnnxVoiceError, metadata_path, read_metadata
from polyvox.export.onnx_export import export_onnx
from polyvox.inference.batch import one_torch_thread
from polyvox.inference.onnx_voice import OnnxVoice
from polyvox.inference.result import SynthesisError
from polyvox.inference.voice import Voice
from polyvox.models.vits import VitsGenerator
from polyvox.text.text_features import TextFeaturesError, model_identity, text_feature_overrides
from polyvox.voice_file import VoiceMetadata, build_generator, load_voice_file, save_voice

SENTENCE = "Hello world, the cat sat on the mat."  # words the tiny voice has every sound of
# Both engines' noise-free audio; float32 graphs agree with PyTorch to ~1e-5.
TOLERANCE = 1e-4


def feature_settings(bert: Path) -> dict[str, object]:
    """The config values ``--text-features bert`` sets."""
    return {key: json.loads(value) for key, value in (item.split("=", 1) for item in text_feature_overrides(bert))}


def featured_voice_file(path: Path, bert: Path) -> Path:
    """An untrained tiny en+es voice that reads ``bert``'s features, its projection of them made non-zero (training
    starts it at zero, where the features change nothing)."""
    config = preset("tiny", ("en", "es"), n_speakers=len(SPEAKERS)).replace(**feature_settings(bert))
    symbols = covering_symbols(config)
    torch.manual_seed(0)
    generator = VitsGenerator(config.model, len(symbols), 2, config.audio.n_mels, config.audio.hop_length)
    with torch.no_grad():
        generator.duration_predictor.output_projection.bias.fill_(LOG_FRAMES_BIAS)
        generator.text_encoder.text_feature_projection.weight.normal_(0.0, 0.5)
    return save_voice(path, generator.state_dict(), VoiceMetadata(config, symbols, ("en", "es"), SPEAKERS, {}))


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> tuple[Path, Path]:
    """The tiny BERT the voice reads, and one of the same name, size and vocabulary with other weights."""
    return (
        write_tiny_bert(tmp_path_factory.mktemp("models") / "tiny-bert", seed=0),
        write_tiny_bert(tmp_path_factory.mktemp("other") / "tiny-bert", seed=1),
    )


@pytest.fixture(scope="module")
def exported(models, tmp_path_factory) -> Iterator[tuple[Path, Path]]:
    """The voice file and its export (through the CLI, with no model folder: the graphs need none)."""
    folder = tmp_path_factory.mktemp("featured_onnx")
    with one_torch_thread():
        voice_path = featured_voice_file(folder / "featured.safetensors", models[0])
        result = CliRunner().invoke(app, ["export", str(voice_path), "-o", str(folder / "voice.onnx")])
        assert result.exit_code == 0, result.output
        yield voice_path, folder / "voice.onnx"


def test_the_text_graphs_take_the_features_and_the_json_names_the_model(exported, models):
    _, output = exported
    metadata = read_metadata(metadata_path(output))
    for kind in ("full", "encoder"):
        session = onnxruntime.InferenceSession(str(output.with_name(metadata.graphs[kind].file)))
        features = [item for item in session.get_inputs() if item.name == "text_features"]
        assert len(features) == 1 and features[0].type == "tensor(float)" and features[0].shape[2] == 16
        assert "text_features" in metadata.graphs[kind].inputs
    assert "text_features" not in metadata.graphs["decoder"].inputs
    document = json.loads(metadata_path(output).read_text())
    identity = model_identity(models[0])
    assert document["text_features"]["name"] == identity.name == "tiny-bert"
    assert (document["text_features"]["dim"], document["text_features"]["weights_sha256"]) == (16, identity.weights_sha256)
    assert document["format_version"] == 3  # older readers refuse it rather than leave the input unfed


def test_the_onnx_engine_speaks_as_the_torch_engine(exported, models):
    voice_path, output = exported
    with one_torch_thread():
        torch_voice = Voice.load(voice_path, text_features=models[0])
        expected = torch_voice.synthesize(SENTENCE, language="en", **NO_NOISE).samples
    onnx_voice = OnnxVoice.load(output, threads=1, text_features=models[0])
    got = onnx_voice.synthesize(SENTENCE, language="en", **NO_NOISE).samples
    assert got.shape == expected.shape and got.size > 0
    assert float(np.max(np.abs(got - expected))) < TOLERANCE
    # Each id carries the features the torch engine computes, and they reach the prior (so the check above could fail).
    encoded, torch_encoded = onnx_voice.encode(SENTENCE, "en"), torch_voice.encode(SENTENCE, "en")
    np.testing.assert_array_equal(encoded.text_features, torch_encoded.text_features)
    ids, languages, prosody = encoded
    arguments = ([ids], [languages], [len(ids)], [0], [1.0], [0.0], np.zeros((1, 2, len(ids)), np.float32), [prosody])
    with_features = onnx_voice.encode_prior(*map(np.asarray, arguments), text_features=encoded.text_features[None])
    zeros = onnx_voice.encode_prior(*map(np.asarray, arguments), text_features=np.zeros_like(encoded.text_features[None]))
    assert with_features.means.shape != zeros.means.shape or not np.allclose(with_features.means, zeros.means)
    streamed = np.concatenate(list(onnx_voice.stream(SENTENCE, language="en", seed=4)))
    np.testing.assert_allclose(streamed, onnx_voice.synthesize(SENTENCE, language="en", seed=4).samples, atol=1e-5)
    with pytest.raises(SynthesisError, match="give it text, not phonemes"):
        onnx_voice.synthesize("", phonemes="h ə l oʊ", language="en")


def test_the_onnx_engine_refuses_a_missing_or_other_model_as_torch_does(exported, models):
    voice_path, output = exported
    with pytest.raises(TextFeaturesError, match=r"needs the text features of 'tiny-bert' \(dim 16") as missing:
        OnnxVoice.load(output)
    assert "--engine onnx --text-features FOLDER" in str(missing.value)
    with pytest.raises(TextFeaturesError, match=f"but {models[1]} holds 'tiny-bert'"):
        OnnxVoice.load(output, text_features=models[1])
    with pytest.raises(TextFeaturesError, match=f"but {models[1]} holds 'tiny-bert'"):
        Voice.load(voice_path, text_features=models[1])


def say(output: Path, voice: Path, *extra: str):
    return CliRunner().invoke(app, ["say", SENTENCE, "--lang", "en", "--engine", "onnx", "--voice", str(voice), "-o", str(output), *extra])


def test_say_with_the_onnx_engine_refuses_in_one_line_and_speaks_with_the_model(exported, models, tmp_path):
    _, voice = exported
    output = tmp_path / "out.wav"
    missing = say(output, voice)
    assert missing.exit_code == 1 and missing.output.count("\n") == 1 and not output.exists()
    assert "needs the text features of 'tiny-bert' (dim 16" in missing.output and "--text-features FOLDER" in missing.output
    different = say(output, voice, "--text-features", str(models[1]))
    assert different.exit_code == 1 and different.output.count("\n") == 1 and not output.exists()
    assert f"but {models[1]} holds 'tiny-bert'" in different.output
    spoken = say(output, voice, "--text-features", str(models[0]))
    assert spoken.exit_code == 0, spoken.output
    assert output.exists()


def test_a_json_whose_model_differs_from_its_config_is_refused(exported, tmp_path):
    _, output = exported
    document = json.loads(metadata_path(output).read_text())
    document["text_features"]["weights_sha256"] = "0" * 64
    edited = tmp_path / "voice.onnx.json"
    edited.write_text(json.dumps(document))
    with pytest.raises(OnnxVoiceError, match="'text_features' section and the voice's config do not match"):
        read_metadata(edited)


def test_the_web_page_refuses_a_text_feature_voice_in_one_line(exported, tmp_path):
    voice_path, _ = exported
    page = tmp_path / "page"
    result = CliRunner().invoke(app, ["export", str(voice_path), "--web", str(page)])
    assert result.exit_code == 1 and result.output.count("\n") == 1, result.output
    assert "reads text features from 'tiny-bert'" in result.output and "cannot run in the browser" in result.output
    assert not page.exists()


def test_a_plain_voice_exports_without_the_input(tmp_path):
    from onnx_voices import make_voice

    with one_torch_thread():
        exported = export_onnx(make_voice(tmp_path / "plain.safetensors", "hifigan", 0.0), tmp_path / "voice.onnx")
    assert all("text_features" not in graph.inputs for graph in exported.metadata.graphs.values())
    document = json.loads(exported.metadata_path.read_text())
    assert "text_features" not in document and document["format_version"] == 1


def featured_style_voice_file(path: Path, bert: Path) -> Path:
    """``make_style_voice``'s voice (style labels and a style sampler) given ``bert``'s features, projected non-zero."""
    tensors, metadata = load_voice_file(make_style_voice(path.with_name("styled.safetensors")))
    metadata = dataclasses.replace(metadata, config=metadata.config.replace(**feature_settings(bert)))
    generator = build_generator(metadata)
    generator.load_state_dict(tensors, strict=False)  # all but the projection, which the style voice lacks
    with torch.no_grad():
        generator.text_encoder.text_feature_projection.weight.normal_(0.0, 0.5)
    return save_voice(path, generator.state_dict(), metadata)


def test_a_style_voice_with_a_sampler_exports_its_features_to_the_sampler_too(models, tmp_path):
    with one_torch_thread():
        voice_path = featured_style_voice_file(tmp_path / "featured_style.safetensors", models[0])
        output = export_onnx(voice_path, tmp_path / "voice.onnx").graph_paths["full"]
        torch_voice = Voice.load(voice_path, text_features=models[0])
        expected = torch_voice.synthesize(SENTENCE, language="en", emotion="calm", **NO_NOISE).samples
        encoded = torch_voice.encode(SENTENCE, "en")
        ids, languages, prosody = encoded
        features = torch.from_numpy(encoded.text_features)[None]
        speaker = torch_voice.generator.speaker_vector(torch.tensor([0]))
        arguments = (torch.tensor([ids]), torch.tensor([languages]), torch.tensor([len(ids)]), speaker, torch.tensor([prosody]))
        with torch.no_grad():
            condition = torch_voice.generator.style_condition(*arguments, features).numpy()
            without = torch_voice.generator.style_condition(*arguments, torch.zeros_like(features)).numpy()
    onnx_voice = OnnxVoice.load(output, threads=1, text_features=models[0])
    assert "text_features" in read_metadata(metadata_path(output)).graphs["style_condition"].inputs
    got = onnx_voice.synthesize(SENTENCE, language="en", emotion="calm", **NO_NOISE).samples
    assert got.shape == expected.shape and float(np.max(np.abs(got - expected))) < TOLERANCE
    # The sampler's condition reads the sentence's features as the torch engine's does (and they change it).
    onnx_condition = onnx_voice.style_sampler.sentence_condition(onnx_voice.encode(SENTENCE, "en"), 0)
    assert float(np.max(np.abs(onnx_condition - condition))) < TOLERANCE and not np.allclose(condition, without)
    sampled = onnx_voice.synthesize(SENTENCE, language="en", style="sample", seed=2).samples
    assert sampled.size > 0 and np.isfinite(sampled).all()
