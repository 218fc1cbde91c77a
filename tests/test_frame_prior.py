"""The frame-level prior: a voice given one speaks as before until it trains, it can move the prior within a phoneme
(what the token-level prior cannot), training reaches it, it is fingerprinted only when on, and the ONNX engine
speaks it as PyTorch does."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from polyvox.config import ConfigError, FramePriorConfig, preset
from polyvox.fingerprint import config_fingerprint
from polyvox.finetune.freeze import trains
from polyvox.models.frame_prior import FramePrior
from polyvox.models.vits import VitsGenerator
from polyvox.train.losses import kl_loss

SYMBOLS = 20
IDS = torch.tensor([[1, 0, 5, 0, 9, 0, 12, 0, 2]])


def _generators() -> tuple[VitsGenerator, VitsGenerator]:
    """A tiny generator and the same weights with a frame prior added (as a fine-tune that turns it on loads them)."""
    config = preset("tiny")
    torch.manual_seed(0)
    plain = VitsGenerator(config.model, SYMBOLS, 1, config.audio.n_mels, config.audio.hop_length).eval()
    model = config.replace(**{"model.frame_prior.enabled": True}).model
    with_prior = VitsGenerator(model, SYMBOLS, 1, config.audio.n_mels, config.audio.hop_length).eval()
    missing, unexpected = with_prior.load_state_dict(plain.state_dict(), strict=False)
    assert not unexpected and missing and all(name.startswith("frame_prior.") for name in missing)
    return plain, with_prior


def _speak(generator: VitsGenerator, durations: torch.Tensor | None = None):
    with torch.no_grad():
        return generator.synthesize(
            IDS, torch.zeros_like(IDS), torch.tensor([IDS.shape[1]]), torch.tensor([0]), durations=durations,
            noise_generator=torch.Generator().manual_seed(3),
        )


def test_a_voice_given_a_frame_prior_speaks_as_before_until_it_trains() -> None:
    plain, with_prior = _generators()
    assert torch.equal(_speak(plain).waveform, _speak(with_prior).waveform)
    durations = torch.tensor([[2.0, 1.0, 6.0, 1.0, 5.0, 1.0, 7.0, 1.0, 2.0]])
    before = with_prior.encode_prior(IDS, torch.zeros_like(IDS), torch.tensor([9]), torch.tensor([0]), durations=durations)
    # Token-level: the means are one value over each phoneme's frames (frames 3..8 are the third token's).
    assert torch.allclose(before.means[0, :, 3:9], before.means[0, :, 3:4].expand(-1, 6))
    with torch.no_grad():
        torch.nn.init.normal_(with_prior.frame_prior.out.weight, std=0.3)
    after = with_prior.encode_prior(IDS, torch.zeros_like(IDS), torch.tensor([9]), torch.tensor([0]), durations=durations)
    assert after.means.shape == before.means.shape and torch.equal(after.frame_mask, before.frame_mask)
    assert after.means[0, :, 3:9].std(dim=1).mean() > 1e-3  # now it moves within the phoneme
    assert not torch.equal(_speak(with_prior, durations).waveform, _speak(plain, durations).waveform)


def test_it_learns_a_contour_within_each_phoneme_that_no_token_level_prior_can_give() -> None:
    """Tokens held 6-10 frames with a rising target inside each (a tone's contour): the frame prior fits it far
    below the best one-value-per-token prior (each token's mean)."""
    torch.manual_seed(0)
    lengths = [6, 9, 7, 10, 8, 6]
    hidden_channels, inter = 8, 4
    token_hidden = torch.randn(1, hidden_channels, len(lengths))
    path = torch.zeros(1, len(lengths), sum(lengths))
    target = torch.zeros(1, inter, sum(lengths))
    start = 0
    for token, length in enumerate(lengths):
        path[0, token, start : start + length] = 1
        target[0, :, start : start + length] = torch.linspace(-1, 1, length) * (token % 2 * 2 - 1)
        start += length
    frame_hidden = token_hidden @ path
    token_means = (target @ path.transpose(1, 2)) / path.sum(dim=2)  # the best token-level prior
    best_token_error = float(((token_means @ path) - target).pow(2).mean())
    prior = FramePrior(FramePriorConfig(enabled=True, hidden_channels=32, n_layers=3), hidden_channels, inter, 2)
    optimizer = torch.optim.Adam(prior.parameters(), lr=3e-3)
    mask, speaker, zeros = torch.ones(1, 1, sum(lengths)), torch.zeros(1, 2, 1), torch.zeros(1, inter, sum(lengths))
    for _ in range(400):
        optimizer.zero_grad()
        means, _ = prior(frame_hidden, token_means @ path, zeros, mask, speaker)
        loss = (means - target).pow(2).mean()
        loss.backward()
        optimizer.step()
    assert float(loss.detach()) < 0.1 * best_token_error


def test_the_kl_loss_reaches_it_in_a_training_pass_and_fine_tunes_train_it_with_the_text_encoder() -> None:
    _, with_prior = _generators()
    with_prior.train()
    config = preset("tiny")
    ids = torch.tensor([[1, 0, 5, 0, 9, 0, 12, 0, 2], [1, 0, 7, 0, 3, 0, 2, 0, 0]])
    mel = torch.randn(2, config.audio.n_mels, 40)
    output = with_prior(
        ids, torch.zeros_like(ids), torch.tensor([9, 8]), mel, torch.tensor([40, 32]), torch.tensor([0, 0]), 8, decode=False
    )
    kl_loss(output.flow_latent, output.posterior_log_scales, output.prior_means, output.prior_log_scales, output.frame_mask).backward()
    assert with_prior.frame_prior.out.weight.grad.abs().sum() > 0
    for preset_name in ("language", "keep-decoder", "text", "prior", "all"):
        assert trains(preset_name, "frame_prior.out.weight")
    assert not trains("decoder", "frame_prior.out.weight") and not trains("voice", "frame_prior.out.weight")


def test_a_fine_tune_that_turns_it_on_trains_it_and_the_voice_speaks_with_it(tmp_path, engine) -> None:
    """``polyvox finetune --set model.frame_prior.enabled=true``: the source has no frame prior, so it trains under the
    default preset (a new speaker's ``voice``, which freezes the text encoder), and the output speaks with it."""
    from finetune_helpers import QUICK, make_corpora

    from polyvox.finetune import FinetuneOptions, plan_finetune, run_finetune
    from polyvox.inference.batch import one_torch_thread
    from polyvox.inference.voice import Voice
    from polyvox.voice_file import load_voice_file

    corpora = make_corpora(tmp_path / "corpora", engine)
    options = FinetuneOptions(steps=2, overrides=(*QUICK, "model.frame_prior.enabled=true", "training.precision=32"))
    with one_torch_thread():
        plan = plan_finetune(corpora.voice, corpora.new_speaker, tmp_path / "out.safetensors", tmp_path / "run", options)
        assert plan.freeze.preset == "voice" and "frame_prior" in dict(plan.freeze.trained)
        result = run_finetune(plan, progress=False)
        tensors, metadata = load_voice_file(result.voice_path)
        assert metadata.config.model.frame_prior.enabled
        assert tensors["frame_prior.out.weight"].abs().sum() > 0  # it started at zero
        spoken = Voice.load(result.voice_path).synthesize("The cat sat on the mat.", language="en", seed=0).samples
    assert np.isfinite(spoken).all() and spoken.size > 0


def test_it_can_learn_at_its_own_rate() -> None:
    from polyvox.text import SymbolTable
    from polyvox.train.module import VitsTrainingModule
    from polyvox.voice_file import VoiceMetadata

    config = preset("tiny").replace(**{"model.frame_prior.enabled": True, "training.frame_prior_learning_rate": 1e-3})
    module = VitsTrainingModule(VoiceMetadata(config, SymbolTable.from_sequences([["a", "b"]]), ("en",), ("s",), {}))
    (generator_optimizer, _), _ = module.configure_optimizers()
    groups = generator_optimizer.param_groups
    assert [group["lr"] for group in groups] == [config.training.learning_rate, 1e-3]
    assert {id(parameter) for parameter in groups[1]["params"]} == {id(p) for p in module.generator.frame_prior.parameters()}
    assert sum(len(group["params"]) for group in groups) == len(list(module.generator.parameters()))
    with pytest.raises(ConfigError, match="frame_prior_learning_rate must be positive"):
        config.replace(**{"training.frame_prior_learning_rate": 0.0})


def test_the_frame_prior_is_in_the_fingerprint_only_when_on() -> None:
    config = preset("tiny")
    assert not any(key.startswith("model.frame_prior") for key in config_fingerprint(config))
    on = config_fingerprint(config.replace(**{"model.frame_prior.enabled": True}))
    assert on["model.frame_prior.enabled"] is True and on["model.frame_prior.n_layers"] == FramePriorConfig().n_layers
    with pytest.raises(ConfigError, match="kernel_size must be odd"):
        config.replace(**{"model.frame_prior.kernel_size": 4})


def test_the_onnx_engine_speaks_a_voice_with_a_frame_prior_as_pytorch_does(tmp_path) -> None:
    pytest.importorskip("onnxruntime")
    from onnx_voices import make_voice
    from tiny_voices import ENGLISH

    from polyvox.export.onnx_export import export_onnx
    from polyvox.inference.batch import one_torch_thread
    from polyvox.inference.onnx_voice import OnnxVoice
    from polyvox.inference.voice import Voice
    from polyvox.voice_file import load_voice_file, save_voice

    with one_torch_thread():
        plain_path = make_voice(tmp_path / "plain.safetensors", "multiband", 0.5)
        tensors, metadata = load_voice_file(plain_path)
        config = metadata.config.replace(**{"model.frame_prior.enabled": True})
        generator = VitsGenerator(config.model, len(metadata.symbols), 2, config.audio.n_mels, config.audio.hop_length)
        generator.load_state_dict({name: tensor.float() for name, tensor in tensors.items()}, strict=False)
        with torch.no_grad():
            torch.nn.init.normal_(generator.frame_prior.out.weight, std=0.2)
        voice_path = save_voice(tmp_path / "frame_prior.safetensors", generator.state_dict(), dataclasses.replace(metadata, config=config))
        quiet = {"noise_scale": 0.0, "noise_scale_duration": 0.0}
        expected = Voice.load(voice_path).synthesize(ENGLISH, **quiet).samples
        without = Voice.load(plain_path).synthesize(ENGLISH, **quiet).samples
        export_onnx(voice_path, tmp_path / "voice.onnx")
    assert expected.shape != without.shape or np.abs(expected - without).max() > 1e-3
    spoken = OnnxVoice.load(tmp_path / "voice.onnx", threads=1).synthesize(ENGLISH, **quiet).samples
    np.testing.assert_allclose(spoken, expected, atol=1e-4)
