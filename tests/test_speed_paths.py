"""The speed paths compute what the plain ones do: the decoders' channels-last layout and in-place
synthesis, the discriminator's cheaper pass for the generator, and folding weight norm for inference."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from torch.nn.utils import parametrize

from polyvox.config import preset
from polyvox.inference.speed import prepare_for_inference
from polyvox.models.decoders import build_decoder
from polyvox.models.discriminators import MultiPeriodMultiScaleDiscriminator
from polyvox.models.vits import VitsGenerator
from tiny_voices import ISTFT

DECODERS = {"hifigan": {}, "istft": ISTFT, "hifigan-resblock2": {"model.decoder.resblock_type": "2"}}


def tiny_decoder(variant: str) -> torch.nn.Module:
    model = preset("tiny").replace(**DECODERS[variant]).model
    torch.manual_seed(0)
    return build_decoder(model.decoder, model.inter_channels, model.speaker_channels)


def output_and_gradients(decoder: torch.nn.Module, latent: torch.Tensor, speaker: torch.Tensor) -> tuple[torch.Tensor, ...]:
    decoder.zero_grad()
    latent = latent.clone().requires_grad_(True)
    waveform = decoder(latent, speaker)
    # A loss that weighs every sample differently, so any misplaced sample changes the gradients.
    torch.sum(torch.sin(waveform * 7.0) * torch.linspace(0.5, 1.5, waveform.shape[-1])).backward()
    return (waveform.detach(), latent.grad, *(parameter.grad for parameter in decoder.parameters()))


@pytest.mark.parametrize("variant", sorted(DECODERS))
def test_decoder_layouts_give_the_same_output_and_gradients(variant: str) -> None:
    decoder = tiny_decoder(variant)
    latent, speaker = torch.randn(3, 8, 13), torch.randn(3, 8, 1)
    decoder.time_as_2d = False
    plain = output_and_gradients(decoder, latent, speaker)
    decoder.time_as_2d = True
    fast = output_and_gradients(decoder, latent, speaker)
    assert fast[0].shape == plain[0].shape == (3, 1, 13 * 256)
    for got, expected in zip(fast, plain):
        torch.testing.assert_close(got, expected, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("variant", sorted(DECODERS))
def test_synthesis_without_autograd_matches_training_forward(variant: str) -> None:
    decoder = tiny_decoder(variant)
    latent, speaker = torch.randn(2, 8, 9), torch.randn(2, 8, 1)
    with_autograd = decoder(latent, speaker).detach()
    with torch.inference_mode():
        in_place = decoder(latent, speaker)
    with torch.no_grad():
        no_grad = decoder(latent, speaker)
    torch.testing.assert_close(in_place, with_autograd, rtol=0, atol=1e-7)
    torch.testing.assert_close(no_grad, with_autograd, rtol=0, atol=1e-7)


def test_discriminator_pass_for_the_generator_matches_the_joint_pass() -> None:
    torch.manual_seed(0)
    discriminator = MultiPeriodMultiScaleDiscriminator(dataclasses.replace(preset("tiny").model.discriminator, n_scales=2))
    frozen = next(discriminator.parameters())
    frozen.requires_grad_(False)  # e.g. frozen by fine-tuning: must stay frozen
    real = torch.randn(2, 1, 517)
    fake_source = torch.randn(2, 1, 517)

    def generator_loss(output) -> torch.Tensor:
        adversarial = sum(torch.mean((1 - score) ** 2) for score in output.fake_scores)
        matching = sum(
            torch.mean(torch.abs(r.detach() - f)) for rs, fs in zip(output.real_features, output.fake_features) for r, f in zip(rs, fs)
        )
        return adversarial + matching

    fake = fake_source.clone().requires_grad_(True)
    joint = discriminator(real, fake)
    generator_loss(joint).backward()
    joint_gradient = fake.grad.clone()
    assert any(p.grad is not None for p in discriminator.parameters())  # the joint pass also fills the discriminator's

    discriminator.zero_grad(set_to_none=True)
    fake = fake_source.clone().requires_grad_(True)
    cheap = discriminator.for_generator(real, fake)
    generator_loss(cheap).backward()

    torch.testing.assert_close(fake.grad, joint_gradient, rtol=1e-4, atol=1e-7)
    for name in ("real_scores", "fake_scores"):
        for got, expected in zip(getattr(cheap, name), getattr(joint, name)):
            torch.testing.assert_close(got, expected.detach(), rtol=1e-4, atol=1e-6)
    for got_layers, expected_layers in zip(cheap.real_features, joint.real_features):
        assert not any(feature.requires_grad for feature in got_layers)
        for got, expected in zip(got_layers, expected_layers):
            torch.testing.assert_close(got, expected.detach(), rtol=1e-4, atol=1e-6)
    assert all(p.grad is None for p in discriminator.parameters())
    assert not frozen.requires_grad
    assert all(p.requires_grad for p in discriminator.parameters() if p is not frozen)


def test_discriminator_pass_for_the_generator_checks_shapes() -> None:
    discriminator = MultiPeriodMultiScaleDiscriminator(preset("tiny").model.discriminator)
    with pytest.raises(ValueError, match="cut the real segment"):
        discriminator.for_generator(torch.randn(2, 1, 100), torch.randn(2, 1, 90))


@pytest.mark.parametrize("variant", ["hifigan", "istft"])
def test_prepared_generator_synthesizes_the_same_audio(variant: str) -> None:
    config = preset("tiny", n_speakers=2).replace(**DECODERS[variant])
    torch.manual_seed(0)
    generator = VitsGenerator(config.model, n_symbols=20, n_languages=1, n_mels=config.audio.n_mels, hop_length=config.audio.hop_length)
    # Move the weight-norm magnitudes off their initial values, so folding them has something to fold.
    with torch.no_grad():
        for name, parameter in generator.named_parameters():
            if name.endswith("original0"):
                parameter.mul_(1.5)
    # A second instance, not a deepcopy: copies of a parametrized module share its generated class.
    prepared = VitsGenerator(config.model, n_symbols=20, n_languages=1, n_mels=config.audio.n_mels, hop_length=config.audio.hop_length)
    prepared.load_state_dict(generator.state_dict())
    prepare_for_inference(prepared)
    assert not any(parametrize.is_parametrized(module) for module in prepared.modules())
    assert not prepared.training
    inputs = (torch.randint(4, 20, (2, 7)), torch.zeros(2, 7, dtype=torch.long), torch.tensor([7, 5]), torch.tensor([0, 1]))
    expected = generator.eval().synthesize(*inputs, noise_generator=torch.Generator().manual_seed(3))
    got = prepared.synthesize(*inputs, noise_generator=torch.Generator().manual_seed(3))
    assert torch.equal(got.durations, expected.durations)
    torch.testing.assert_close(got.waveform, expected.waveform, rtol=1e-4, atol=1e-6)
