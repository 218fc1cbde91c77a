"""Discriminators: any length from one sample up, finite scores, matching real/fake structure."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from polyvox.config import preset
from polyvox.models.discriminators import (
    DiscriminatorOutput,
    MultiPeriodMultiScaleDiscriminator,
    PeriodDiscriminator,
    ScaleDiscriminator,
)


@pytest.mark.parametrize("preset_name", ["tiny", "small"])
@pytest.mark.parametrize("samples", [1, 7, 256, 8192])
def test_accepts_any_length(preset_name: str, samples: int) -> None:
    torch.manual_seed(0)
    config = dataclasses.replace(preset(preset_name).model.discriminator, n_scales=3)
    discriminator = MultiPeriodMultiScaleDiscriminator(config)
    real, fake = torch.randn(2, 1, samples), torch.randn(2, 1, samples)
    output = discriminator(real, fake)
    assert isinstance(output, DiscriminatorOutput)
    n_discriminators = len(config.periods) + config.n_scales
    for scores_and_features in (output.real_scores, output.fake_scores, output.real_features, output.fake_features):
        assert len(scores_and_features) == n_discriminators
    for real_score, fake_score in zip(output.real_scores, output.fake_scores):
        assert real_score.shape == fake_score.shape and real_score.shape[0] == 2
        assert torch.isfinite(real_score).all() and torch.isfinite(fake_score).all()
    for real_features, fake_features in zip(output.real_features, output.fake_features):
        assert len(real_features) == len(fake_features) > 0
        for real_feature, fake_feature in zip(real_features, fake_features):
            assert real_feature.shape == fake_feature.shape
            assert torch.isfinite(real_feature).all()


def test_real_and_fake_are_judged_independently() -> None:
    torch.manual_seed(0)
    discriminator = MultiPeriodMultiScaleDiscriminator(preset("tiny").model.discriminator)
    real, fake = torch.randn(1, 1, 300), torch.randn(1, 1, 300)
    together = discriminator(real, fake)
    alone = discriminator(real, real)
    for score, same in zip(together.real_scores, alone.fake_scores):
        torch.testing.assert_close(score, same)


def test_mismatched_lengths_fail_loudly() -> None:
    discriminator = MultiPeriodMultiScaleDiscriminator(preset("tiny").model.discriminator)
    with pytest.raises(ValueError, match="same shape|must both"):
        discriminator(torch.randn(1, 1, 100), torch.randn(1, 1, 99))


@pytest.mark.parametrize("samples", [1, 2, 4, 5, 12])
def test_period_discriminator_pads_short_inputs(samples: int) -> None:
    discriminator = PeriodDiscriminator(period=5, channels=(4, 8))
    score, features = discriminator(torch.randn(3, 1, samples))
    assert score.shape[0] == 3 and torch.isfinite(score).all()
    assert len(features) == 3


def test_scale_discriminator_layer_count_and_groups() -> None:
    discriminator = ScaleDiscriminator(channels=(4, 8, 16), groups=(1, 4))
    assert [conv.groups for conv in discriminator.convs] == [1, 1, 4]
    score, features = discriminator(torch.randn(2, 1, 1))
    assert score.shape == (2, 1) and len(features) == 4


def test_discriminator_gradients_reach_fake_input() -> None:
    discriminator = MultiPeriodMultiScaleDiscriminator(preset("tiny").model.discriminator)
    fake = torch.randn(1, 1, 200, requires_grad=True)
    output = discriminator(torch.randn(1, 1, 200), fake)
    sum(score.mean() for score in output.fake_scores).backward()
    assert fake.grad is not None and torch.isfinite(fake.grad).all() and fake.grad.abs().sum() > 0


def test_scale_discriminator_layouts_compute_the_plain_convolutions() -> None:
    """Long inputs take the channels-last 2-D path in the wide early layers: same scores, features and gradients."""
    torch.manual_seed(0)
    config = preset("small").model.discriminator
    discriminator = ScaleDiscriminator(config.scale_channels, config.scale_groups)
    waveform = torch.randn(2, 1, 4096, requires_grad=True)
    score, features = discriminator(waveform)
    hidden, expected_features = waveform, []
    for conv in discriminator.convs:
        hidden = torch.nn.functional.leaky_relu(conv(hidden), 0.1)
        expected_features.append(hidden)
    expected_score = discriminator.conv_post(hidden)
    torch.testing.assert_close(score, expected_score.flatten(1), rtol=1e-4, atol=1e-5)
    for feature, expected in zip(features, expected_features):
        assert feature.shape == expected.shape and feature.is_contiguous()
        torch.testing.assert_close(feature, expected, rtol=1e-4, atol=1e-5)
    (gradient,) = torch.autograd.grad(score.square().sum(), waveform)
    (expected_gradient,) = torch.autograd.grad(expected_score.square().sum(), waveform)
    torch.testing.assert_close(gradient, expected_gradient, rtol=1e-3, atol=1e-5)
