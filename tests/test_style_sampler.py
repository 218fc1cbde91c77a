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


# The raw sampler's tensors: what every voice saved before model.style_sampler.condition_normalization holds.
RAW_SAMPLER_TENSORS = {
    "condition_projection.weight", "condition_projection.bias", "unconditioned", "input_projection.weight",
    "input_projection.bias", "output_projection.1.weight", "output_projection.1.bias",
    *(f"layers.{index}.1.{kind}" for index in range(3) for kind in ("weight", "bias")),
}


def kind_conditions(count: int, kinds: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Conditions (count, 24) shaped like a voice's: 16 text channels that are a near-constant vector (norm ~8) varying
    ~0.014 per channel with the sentence, the two kinds' means 0.1 apart, beside one of two speakers' vectors (8
    channels, ~0.5 apart per channel), as benchmarks/style_fit.py measured the bundled voice's."""
    text = 2.0 + 0.014 * torch.randn(count, 16, generator=generator)
    text[:, :4] += 0.05 * kinds[:, None]
    speakers = torch.stack([torch.full((8,), 2.0), torch.full((8,), 2.5)])
    return torch.cat([text, speakers[torch.randint(0, 2, (count,), generator=generator)]], dim=1)


def test_a_standardizing_sampler_reads_a_small_text_difference_beside_the_speaker_vector():
    """What made --style sample ignore the sentence: a difference of a tenth in a condition of norm ~10. Trained as a
    fine-tune trains it (300 steps, batch 8, 5e-4), a standardizing sampler draws each kind's own style."""
    torch.manual_seed(0)
    data = torch.Generator().manual_seed(0)
    rows = torch.tanh(torch.randn(2, 4, generator=data) * 2)  # two labels' rows, as the style encoder's
    sampler = StyleSampler(4, 24, StyleSamplerConfig(enabled=True, condition_normalization="standardized"))
    optimizer = torch.optim.AdamW(sampler.parameters(), lr=5e-4, betas=(0.8, 0.99))
    for _ in range(300):
        kinds = torch.randint(0, 2, (8,), generator=data)
        loss = sampler.loss(rows[kinds], kind_conditions(8, kinds, data))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    sampler.eval()
    noise = torch.Generator().manual_seed(1)
    for kind in (0, 1):
        draws = sampler.sample(kind_conditions(64, torch.full((64,), kind), data), 10, 1.0, noise)
        own, other = ((draws - rows[index]).norm(dim=1) for index in (kind, 1 - kind))
        assert (own < other).float().mean() > 0.8


def test_the_standardizing_statistics_follow_the_training_conditions_and_stay_put_when_speaking():
    data = torch.Generator().manual_seed(0)
    conditions = kind_conditions(2000, torch.randint(0, 2, (2000,), generator=data), data)
    # A batch of one works too (the spread between batches counts), though its statistics average fewer conditions.
    for batch_size, tolerance in ((8, 0.35), (1, 0.8)):
        sampler = StyleSampler(4, 24, StyleSamplerConfig(enabled=True, condition_normalization="standardized"))
        for batch in conditions.split(batch_size):
            sampler.loss(torch.zeros(len(batch), 4), batch)
        assert int(sampler.condition_batches) == len(conditions) // batch_size
        spread = (sampler.condition_square_mean - sampler.condition_mean.pow(2)).sqrt()
        # In units of each channel's own spread: the tiny text channels are measured as finely as the speaker's.
        assert ((sampler.condition_mean - conditions.mean(dim=0)) / conditions.std(dim=0)).abs().max() < tolerance
        assert ((spread / conditions.std(dim=0)).log().abs().max()) < tolerance
    before = {name: tensor.clone() for name, tensor in sampler.state_dict().items()}
    sampler.eval()
    sampler.loss(torch.zeros(2, 4), conditions[:2])
    sampler.sample(conditions[:2], 4, 2.0)
    assert all(torch.equal(before[name], tensor) for name, tensor in sampler.state_dict().items())


def test_raw_samplers_keep_the_tensors_and_fingerprint_of_voices_made_before_standardizing():
    raw = StyleSampler(8, 24, StyleSamplerConfig(enabled=True))
    assert set(raw.state_dict()) == RAW_SAMPLER_TENSORS
    standardized = StyleSampler(8, 24, StyleSamplerConfig(enabled=True, condition_normalization="standardized"))
    assert set(standardized.state_dict()) == RAW_SAMPLER_TENSORS | {"condition_mean", "condition_square_mean", "condition_batches"}
    config = preset("tiny").replace(**{"model.style.enabled": True, "model.style_sampler.enabled": True})
    assert "model.style_sampler.condition_normalization" not in config_fingerprint(config)
    changed = config.replace(**{"model.style_sampler.condition_normalization": "standardized"})
    assert config_fingerprint(changed)["model.style_sampler.condition_normalization"] == "standardized"
    with pytest.raises(ConfigError, match="condition_normalization must be 'raw' or 'standardized'"):
        StyleSamplerConfig(condition_normalization="whitened")  # type: ignore[arg-type]


def test_a_voice_trained_with_a_standardizing_sampler_saves_its_statistics_and_speaks(small_corpus, tmp_path, english_text):
    corpus, _ = small_corpus
    options = {"model.style_sampler.enabled": True, "model.style_sampler.hidden_channels": 16,
               "model.style_sampler.condition_normalization": "standardized"}
    path = train_tiny_style_voice(corpus / "manifest.jsonl", tmp_path, 4, **options)
    tensors, _ = load_voice_file(path)
    assert int(tensors["style_sampler.condition_batches"]) > 0
    assert tensors["style_sampler.condition_mean"].abs().sum() > 0
    recorded = recorded_fingerprint(path)
    assert recorded["model.style_sampler.condition_normalization"] == "standardized"
    assert recorded[STYLE_SAMPLER_WEIGHTS] == style_sampler_sha256(tensors)  # the statistics are in the weights' hash
    voice = Voice.load(path)
    first = drawn(voice, english_text, 1)
    assert torch.isfinite(first).all() and torch.equal(first, drawn(voice, english_text, 1))
    assert diagnose(path).passed


@pytest.mark.parametrize("rate", [None, 4e-3])
def test_the_sampler_learns_at_its_own_rate_when_given_one(rate):
    from polyvox.text import SymbolTable
    from polyvox.train.module import VitsTrainingModule
    from polyvox.voice_file import VoiceMetadata

    config = preset("tiny").replace(**{
        "model.style.enabled": True, "model.style_sampler.enabled": True, "training.style_sampler_learning_rate": rate,
    })
    module = VitsTrainingModule(VoiceMetadata(config, SymbolTable.from_sequences([["a", "b"]]), ("en",), ("s",), {}))
    (generator_optimizer, discriminator_optimizer), _ = module.configure_optimizers()
    groups = generator_optimizer.param_groups
    assert sum(len(group["params"]) for group in groups) == len(list(module.generator.parameters()))
    assert [group["lr"] for group in discriminator_optimizer.param_groups] == [config.training.learning_rate]
    if rate is None:  # as before the field: one group at the voice's rate
        assert [group["lr"] for group in groups] == [config.training.learning_rate]
    else:
        sampler = {id(parameter) for parameter in module.generator.style_sampler.parameters()}
        assert [group["lr"] for group in groups] == [config.training.learning_rate, rate]
        assert {id(parameter) for parameter in groups[1]["params"]} == sampler
        assert not sampler & {id(parameter) for parameter in groups[0]["params"]}
    with pytest.raises(ConfigError, match="style_sampler_learning_rate must be positive"):
        config.replace(**{"training.style_sampler_learning_rate": 0.0})


def test_the_onnx_export_standardizes_the_condition_as_pytorch_does(tmp_path):
    from tiny_voices import ENGLISH, SPEAKERS, covering_symbols

    from polyvox.export.onnx_export import export_onnx
    from polyvox.inference.onnx_voice import OnnxVoice
    from polyvox.voice_file import VoiceMetadata, save_voice

    config = preset("tiny", ("en",), n_speakers=len(SPEAKERS)).replace(**{
        "model.style.enabled": True, "model.style_sampler.enabled": True,
        "model.style_sampler.condition_normalization": "standardized",
    })
    symbols = covering_symbols(config)
    torch.manual_seed(0)
    generator = VitsGenerator(config.model, len(symbols), 1, config.audio.n_mels, config.audio.hop_length)
    sampler = generator.style_sampler
    with torch.no_grad():  # statistics far from the untrained 0 and 1, so a graph that skipped them would differ
        sampler.condition_mean.normal_(0.0, 1.0)
        sampler.condition_square_mean.copy_(sampler.condition_mean.pow(2) + 0.01)
    metadata = VoiceMetadata(config=config, symbols=symbols, languages=("en",), speakers=SPEAKERS, info={})
    path = save_voice(tmp_path / "voice.safetensors", generator.state_dict(), metadata)
    export_onnx(path, tmp_path / "voice.onnx")
    onnx_voice = OnnxVoice.load(tmp_path / "voice.onnx", threads=1)
    generator = Voice.load(path).generator
    encoded = onnx_voice.encode(ENGLISH, "en")
    ids, languages, prosody = encoded
    with torch.no_grad():
        condition = generator.style_condition(
            torch.tensor([ids]), torch.tensor([languages]), torch.tensor([len(ids)]), generator.speaker_vector(torch.tensor([1])),
            torch.tensor([prosody]),
        )
        expected = generator.style_sampler.sample(condition, 4, 2.0, torch.Generator().manual_seed(9))
    start = torch.randn(1, config.model.style.style_channels, generator=torch.Generator().manual_seed(9)).numpy()
    got = onnx_voice.style_sampler.sample(onnx_voice.style_sampler.sentence_condition(encoded, 1), 4, 2.0, start)
    np.testing.assert_allclose(got, expected.numpy(), atol=1e-4)


def test_training_a_sampler_that_cannot_read_the_sentence_is_warned_about(tmp_path, caplog):
    from polyvox.data.manifest import ManifestError
    from polyvox.train.run import train

    styled = {"model.style.enabled": True, "model.style_sampler.enabled": True}
    for normalization, warned in (("raw", True), ("standardized", False)):
        caplog.clear()
        config = preset("tiny").replace(**styled, **{"model.style_sampler.condition_normalization": normalization})
        with caplog.at_level("WARNING", logger="polyvox"), pytest.raises(ManifestError, match="manifest not found"):
            train(tmp_path / "absent.jsonl", tmp_path / "run", config)
        assert ("will hardly read the sentence" in caplog.text) is warned
    assert not (tmp_path / "run").exists()
