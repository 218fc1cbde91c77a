"""Balanced up-sampling (model.decoder.balanced_upsampling): a steady latent cannot ring at the frame rate."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from polyvox.config import preset
from polyvox.evaluation.buzz import frame_rate_buzz
from polyvox.models.decoders import build_decoder
from polyvox.models.decoders.balanced_upsampling import BalancedPolyphase, phase_imbalance

RATE = 22050


@pytest.mark.parametrize("stride, kernel", [(4, 8), (4, 7), (8, 16), (3, 3)])
def test_the_projection_equalises_the_phase_sums_and_moves_the_kernel_least(stride, kernel) -> None:
    torch.manual_seed(0)
    project = BalancedPolyphase(stride, kernel)
    weight = torch.randn(6, 5, kernel)
    balanced = project(weight)
    assert phase_imbalance(weight, stride) > 0.1
    assert phase_imbalance(balanced, stride) < 1e-5
    torch.testing.assert_close(project(balanced), balanced)  # a projection: balanced kernels stay as they are
    # Least squares: what it removes is orthogonal to every balanced kernel.
    other = project(torch.randn(6, 5, kernel))
    assert abs(float(((weight - balanced) * other).sum())) < 1e-3 * float(weight.norm() * other.norm())


def _hifigan(balanced: bool, seed: int = 0) -> torch.nn.Module:
    """An untrained HiFi-GAN decoder up-sampling 8 x 8 x 4 = 256 samples a frame (the frame rate is 86 Hz)."""
    model = preset("small").model
    config = dataclasses.replace(
        model.decoder, type="hifigan", subbands=1, initial_channels=64, upsample_rates=(8, 8, 4),
        upsample_kernel_sizes=(16, 16, 8), balanced_upsampling=balanced,
    )
    torch.manual_seed(seed)
    return build_decoder(config, model.inter_channels, 0).eval()


def test_a_steady_latent_comes_out_steady_only_when_balanced() -> None:
    latent = torch.randn(1, preset("small").model.inter_channels, 1).repeat(1, 1, 40)
    outputs = {}
    for balanced in (False, True):
        with torch.no_grad():
            outputs[balanced] = _hifigan(balanced)(latent)[0, 0, 10 * 256 : 30 * 256]  # away from the edges' padding
    assert float(outputs[True].std()) < 1e-4 * float(outputs[True].abs().mean())
    assert float(outputs[False].std()) > 0.01 * float(outputs[False].abs().mean())


def test_slowly_drifting_latents_come_out_without_the_frame_rate_comb() -> None:
    """Latents with no content at the frame rate: an unbalanced decoder adds a comb of lines at multiples of 86 Hz,
    a balanced one a seventh as much. (An inverse-STFT decoder keeps another tone at its hop rate, 1378 Hz, until it
    learns to advance its frames' phases: that one is not the up-sampling's.)"""
    torch.manual_seed(1)
    slow = torch.nn.functional.interpolate(torch.randn(1, preset("small").model.inter_channels, 12), size=400, mode="linear")
    buzz = {}
    for balanced in (False, True):
        with torch.no_grad():
            buzz[balanced] = frame_rate_buzz(_hifigan(balanced)(slow)[0, 0].numpy(), RATE)
    assert buzz[False] > 4 * buzz[True]


def test_balancing_keeps_the_weights_names_and_survives_training_steps() -> None:
    model = preset("small").model
    plain = build_decoder(model.decoder, model.inter_channels, model.speaker_channels)
    balanced = build_decoder(dataclasses.replace(model.decoder, balanced_upsampling=True), model.inter_channels, model.speaker_channels)
    assert set(plain.state_dict()) == set(balanced.state_dict())
    balanced.load_state_dict(plain.state_dict())  # an existing voice's decoder loads into a balanced one as it is
    optimizer = torch.optim.AdamW(balanced.parameters(), lr=1e-2)
    latent, target = torch.randn(1, model.inter_channels, 8), torch.randn(1, 1, 8 * 256)
    for _ in range(3):
        optimizer.zero_grad()
        torch.nn.functional.l1_loss(balanced(latent), target).backward()
        optimizer.step()
    for upsample, rate in zip(balanced.ups, model.decoder.upsample_rates):
        assert phase_imbalance(upsample.weight, rate) < 1e-5
