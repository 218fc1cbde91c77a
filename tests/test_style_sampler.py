"""The style sampler (#20 item 2): --style sample draws a style per sentence from the text, seeded, guarded against
non-finite output, fingerprinted with its weights, on a tiny voice trained a few steps and on a sampler trained alone."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file
from typer.testing import CliRunner

from polyvox.cli import app
from polyvox.config import ConfigError, StyleSamplerConfig, preset
from polyvox.data.manifest import read_manifest
from polyvox.doctor import diagnose
from polyvox.fingerprint import STYLE_SAMPLER_WEIGHTS, component_fingerprint, config_fingerprint, style_sampler_sha256
from polyvox.inference.result import SynthesisError
from polyvox.inference.style import StyleSamplerError, sampled_style
from polyvox.inference.voice import Voice
from polyvox.models.style_sampler import StyleSampler
from polyvox.models.vits import VitsGenerator
from polyvox.speech_request import SpeechRequest
from polyvox.voice_file import VoiceFileError, load_voice_file, recorded_fingerprint
from test_style import train_tiny_style_voice
from tiny_voices import make_tiny_voice

# Noise off in the durations and the prior: what changes between seeds is the sampled style alone.
QUIET = {"noise_scale": 0.0, "noise_scale_duration": 0.0}


@pytest.fixture(scope="module")
def sampler_voice(small_corpus, tmp_path_factory) -> Path:
    corpus, _ = small_corpus
    folder = tmp_path_factory.mktemp("sampler")
    sampler = {"model.style_sampler.enabled": True, "model.style_sampler.hidden_channels": 16}
    return train_tiny_style_voice(corpus / "manifest.jsonl", folder, 8, **sampler)


@pytest.fixture(scope="module")
def english_text(small_corpus) -> str:
    corpus, _ = small_corpus
    return next(u.text for u in read_manifest(corpus / "manifest.jsonl") if u.language == "en")


def drawn(voice: Voice, text: str, seed: int, **options: object) -> torch.Tensor:
    """The style the voice's sampler draws for ``text`` (speaker 0) with ``seed``."""
    request = SpeechRequest(text, style="sample", seed=seed, **options)  # type: ignore[arg-type]
    speaker = voice.generator.speaker_vector(torch.tensor([0]))
    return sampled_style(voice.generator, voice.encode(text, "en"), speaker, request, torch.Generator().manual_seed(seed))


def test_a_voice_trained_with_a_sampler_saves_it_with_its_weights_fingerprinted(sampler_voice):
    tensors, metadata = load_voice_file(sampler_voice)
    assert metadata.config.model.style_sampler.enabled
    assert any(name.startswith("style_sampler.") for name in tensors)
    recorded = recorded_fingerprint(sampler_voice)
    assert recorded["model.style_sampler.hidden_channels"] == 16
    assert recorded[STYLE_SAMPLER_WEIGHTS] == style_sampler_sha256(tensors)
    assert Voice.load(sampler_voice).generator.style_sampler is not None


def test_sampled_styles_repeat_with_the_seed_and_vary_across_seeds(sampler_voice, english_text):
    voice = Voice.load(sampler_voice)
    first, again, other = (drawn(voice, english_text, seed) for seed in (1, 1, 2))
    assert torch.equal(first, again)
    assert not torch.equal(first, other)
    assert torch.isfinite(first).all() and first.abs().max() <= 1.0
    spoken = voice.synthesize(english_text, style="sample", seed=3, **QUIET).samples
    np.testing.assert_array_equal(voice.synthesize(english_text, style="sample", seed=3, **QUIET).samples, spoken)
    reseeded = voice.synthesize(english_text, style="sample", seed=4, **QUIET).samples
    assert spoken.shape != reseeded.shape or not np.array_equal(spoken, reseeded)
    # Without the sampler the same two seeds speak alike: the difference above is the sampled style's.
    np.testing.assert_array_equal(
        voice.synthesize(english_text, seed=3, **QUIET).samples, voice.synthesize(english_text, seed=4, **QUIET).samples
    )
    streamed = np.concatenate(list(voice.stream(english_text, style="sample", seed=3, first_chunk_frames=8, chunk_frames=16, **QUIET)))
    np.testing.assert_allclose(streamed, spoken, atol=1e-5)


def test_a_sampler_trained_alone_draws_within_the_training_styles_and_follows_its_condition():
    torch.manual_seed(0)
    channels, condition_channels = 4, 6
    sampler = StyleSampler(channels, condition_channels, StyleSamplerConfig(enabled=True, hidden_channels=32))
    conditions = torch.randn(2, condition_channels)
    # Two conditions (two texts), each with its own cloud of styles, squashed by tanh as the style encoder's are.
    centres = torch.stack([torch.full((channels,), -0.8), torch.full((channels,), 0.5)]) + 0.2 * torch.randn(2, channels)
    optimizer = torch.optim.Adam(sampler.parameters(), lr=3e-3)
    seen: list[list[torch.Tensor]] = [[], []]
    for _ in range(1000):
        which = torch.randint(0, 2, (64,))
        styles = torch.tanh(centres[which] + 0.25 * torch.randn(64, channels))
        for index in range(2):
            seen[index].append(styles[which == index])
        loss = sampler.loss(styles, conditions[which])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    noise = torch.Generator().manual_seed(1)
    means = []
    for index in range(2):
        training = torch.cat(seen[index])
        samples = sampler.sample(conditions[index].expand(512, -1), steps=10, scale=1.0, generator=noise).clamp(-1, 1)
        assert torch.isfinite(samples).all()
        # Outside the training styles' box: by how much, each sample's worst channel.
        outside = torch.maximum(training.min(dim=0).values - samples, samples - training.max(dim=0).values).amax(dim=1)
        assert (outside > 0.1).float().mean() <= 0.01 and outside.max() < 0.5, outside.max()
        assert (samples.mean(dim=0) - training.mean(dim=0)).abs().max() < 0.1
        means.append(samples.mean(dim=0))
    # Each condition draws its own styles, not the other's.
    assert (means[0] - means[1]).abs().min() > 0.5
    guided = [sampler.sample(conditions[:1], 10, scale, torch.Generator().manual_seed(2)) for scale in (1.0, 1.0, 3.0)]
    assert torch.equal(guided[0], guided[1]) and not torch.equal(guided[0], guided[2])


def test_the_fingerprint_follows_the_sampler_weights_and_loading_refuses_swapped_ones(sampler_voice, tmp_path):
    tensors, metadata = load_voice_file(sampler_voice)
    changed = {**tensors, "style_sampler.unconditioned": tensors["style_sampler.unconditioned"] + 0.01}
    before, after = component_fingerprint(metadata, tensors=tensors), component_fingerprint(metadata, tensors=changed)
    assert [key for key in before if before[key] != after[key]] == [STYLE_SAMPLER_WEIGHTS]
    assert STYLE_SAMPLER_WEIGHTS not in component_fingerprint(metadata)  # the config alone does not name weights
    swapped = tmp_path / "swapped.safetensors"
    with safe_open(str(sampler_voice), framework="pt") as handle:
        strings = handle.metadata()
    save_file(changed, str(swapped), metadata=strings)  # the weights changed, the recorded fingerprint kept
    with pytest.raises(VoiceFileError, match="style sampler's weights are not the ones it was saved with") as error:
        Voice.load(swapped)
    assert "\n" not in str(error.value)
    report = diagnose(swapped)
    assert not report.passed and [difference.field for difference in report.differences] == [STYLE_SAMPLER_WEIGHTS]


def test_a_nan_in_the_sampler_stops_with_one_line_naming_it(sampler_voice, english_text, tmp_path):
    voice = Voice.load(sampler_voice)
    with torch.no_grad():
        voice.generator.style_sampler.input_projection.weight[0, 0] = float("nan")
    with pytest.raises(StyleSamplerError, match=r"style sampler drew a non-finite style .*style_sampler\.input_projection\.weight") as error:
        voice.synthesize(english_text, style="sample", seed=1)
    assert "\n" not in str(error.value)
    # The same NaN in the file: refused on load, in one line; polyvox doctor names the sampler.
    tensors, _ = load_voice_file(sampler_voice)
    tensors["style_sampler.input_projection.weight"][0, 0] = float("nan")
    with safe_open(str(sampler_voice), framework="pt") as handle:
        strings = handle.metadata()
    broken = tmp_path / "broken.safetensors"
    save_file(tensors, str(broken), metadata=strings)
    output = tmp_path / "out.wav"
    result = CliRunner().invoke(app, ["say", english_text, "--voice", str(broken), "--style", "sample", "-o", str(output)])
    assert result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 1
    assert "style_sampler.input_projection.weight has NaN" in result.stderr
    assert not output.exists()
    report = diagnose(broken)
    assert "style_sampler.input_projection.weight" in report.nonfinite_parameters
    assert report.first_nonfinite_module == "style_sampler"
    assert report.first_nonfinite_submodule.startswith("style_sampler.")


def test_doctor_runs_the_sampler(sampler_voice):
    report = diagnose(sampler_voice)
    assert report.passed
    assert "style_sampler" in [check.name for check in report.modules]


def test_bad_style_options_fail_in_one_line_and_write_nothing(sampler_voice, english_text, tmp_path):
    plain = make_tiny_voice(tmp_path / "plain.safetensors", seed=0)
    with pytest.raises(SynthesisError, match="has no style sampler"):
        Voice.load(plain).synthesize("Hello world.", style="sample")
    for options, message in (
        ({"style": "sample", "style_steps": 0}, "style_steps must be between 1 and 200, got 0"),
        ({"style": "sample", "style_scale": float("nan")}, "style_scale must be between 0 and 10, got nan"),
        ({"style": "sample", "style_steps": 2.5}, "style_steps must be a whole number"),
        ({"style": "random"}, "style must be 'sample'"),
        ({"style_steps": 4}, "style_steps and style_scale tune style 'sample'"),
        ({"style": "sample", "emotion": "calm"}, "not two of them"),
        ({"style": "sample", "style_strength": 0.5}, "a sampled style follows the text by style_scale"),
    ):
        with pytest.raises(SynthesisError, match=message):
            SpeechRequest(english_text, **options)  # type: ignore[arg-type]
    output = tmp_path / "out.wav"
    for voice, arguments, message in (
        (plain, ["--style", "sample"], "has no style sampler"),
        (sampler_voice, ["--style", "sample", "--style-steps", "0"], "--style-steps must be between 1 and 200"),
        (sampler_voice, ["--style", "sample", "--style-scale", "inf"], "--style-scale must be between 0 and 10"),
    ):
        result = CliRunner().invoke(app, ["say", english_text, "--voice", str(voice), *arguments, "-o", str(output)])
        assert result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 1 and message in result.stderr, result.output
        assert not output.exists()
    result = CliRunner().invoke(app, ["say", english_text, "--voice", str(sampler_voice), "--style", "sample", "--seed", "2", "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert output.is_file()


def test_server_json_fields(sampler_voice, english_text, tmp_path):
    pytest.importorskip("fastapi")
    pytest.importorskip("httpx")
    from fastapi.testclient import TestClient

    from polyvox.server import ServerSettings, create_app

    shutil.copy(sampler_voice, tmp_path / "sampled.safetensors")
    make_tiny_voice(tmp_path / "plain.safetensors", seed=0)
    settings = ServerSettings(default_voice=sampler_voice, voices_dir=tmp_path)
    body = {"model": "tts-1", "input": english_text, "response_format": "wav", "seed": 1}
    with TestClient(create_app(settings)) as client:
        spoken = client.post("/v1/audio/speech", json={**body, "style": "sample", "style_steps": 4, "style_scale": 1.5})
        assert spoken.status_code == 200, spoken.text
        again = client.post("/v1/audio/speech", json={**body, "style": "sample", "style_steps": 4, "style_scale": 1.5})
        assert again.content == spoken.content
        for fields, code in (
            ({"style": "sample", "style_steps": 0}, "invalid_request"),
            ({"style": "sample", "style_steps": "many"}, "invalid_request"),
            ({"style": "sample", "style_scale": -1}, "invalid_request"),
            ({"style": "random"}, "invalid_request"),
            ({"style_steps": 4}, "invalid_request"),
            ({"voice": "plain", "style": "sample"}, "no_style_sampler"),
        ):
            response = client.post("/v1/audio/speech", json={**body, **fields})
            assert response.status_code == 400, (fields, response.text)
            error = response.json()["error"]
            assert error["code"] == code and "\n" not in error["message"], error


def test_sampler_config_is_validated_and_off_by_default():
    assert not preset("tiny").model.style_sampler.enabled
    with pytest.raises(ConfigError, match="enable model.style too"):
        preset("tiny").replace(**{"model.style_sampler.enabled": True})
    for bad in ({"time_channels": 3}, {"condition_dropout": 1.0}, {"n_layers": 0}):
        with pytest.raises(ConfigError):
            StyleSamplerConfig(**bad)
    config = preset("tiny").replace(**{"model.style.enabled": True})
    assert not any(key.startswith("model.style_sampler") for key in config_fingerprint(config))


def test_the_sampler_loss_trains_the_sampler_alone():
    config = preset("tiny").replace(**{"model.style.enabled": True, "model.style_sampler.enabled": True})
    generator = VitsGenerator(config.model, 12, 1, config.audio.n_mels, config.audio.hop_length)
    ids = torch.randint(1, 12, (2, 7))
    speaker = generator.speaker_vector(torch.tensor([0, 0]))
    condition = generator.style_condition(ids, torch.zeros_like(ids), torch.tensor([7, 5]), speaker)
    styles = torch.tanh(torch.randn(2, config.model.style.style_channels, requires_grad=True))
    generator.style_sampler.loss(styles.detach(), condition).backward()
    moved = {name for name, parameter in generator.named_parameters() if parameter.grad is not None}
    assert moved and all(name.startswith("style_sampler.") for name in moved)
    assert condition.shape == (2, config.model.text_encoder.hidden_channels + config.model.speaker_channels)
