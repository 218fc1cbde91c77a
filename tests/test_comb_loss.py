"""The frame-rate comb loss: measures the comb as the evaluation's frame buzz does, costs only the excess over the
target's, and its gradient takes a comb out of a waveform."""

from __future__ import annotations

import pytest
import torch

from polyvox.config import ConfigError, preset
from polyvox.evaluation.buzz import frame_rate_buzz
from polyvox.train.comb_loss import CombLoss

RATE = 22050
HOP = 256


def voiced(samples: int = 8192, seed: int = 0) -> torch.Tensor:
    time = torch.arange(samples) / RATE
    noise = torch.randn(samples, generator=torch.Generator().manual_seed(seed))
    return 0.3 * torch.sin(2 * torch.pi * (150 * time + 5 * torch.sin(2 * torch.pi * 3 * time))) + 0.01 * noise


def with_comb(signal: torch.Tensor, strength: float = 0.3) -> torch.Tensor:
    pulses = torch.zeros_like(signal)
    pulses[::HOP] = 1.0  # a click every hop: lines 86 Hz apart
    return signal + strength * pulses


def test_the_comb_is_the_evaluations_frame_buzz() -> None:
    loss = CombLoss(HOP)
    for signal in (voiced(), with_comb(voiced())):
        assert loss.comb(signal[None]).mean().item() == pytest.approx(frame_rate_buzz(signal.numpy(), RATE), abs=0.02)
    assert loss.comb(with_comb(voiced())[None]).mean().item() > 0.3 > 0.05 > loss.comb(voiced()[None]).mean().item()


def test_only_the_excess_over_the_target_costs() -> None:
    loss = CombLoss(HOP)
    clean, combed = voiced()[None, None], with_comb(voiced())[None, None]
    assert loss(clean, clean).item() == 0.0
    assert loss(combed, combed).item() == 0.0  # a target at the frame rate itself is not pushed off it
    assert loss(clean, combed).item() == 0.0
    assert loss(combed, clean).item() > 0.3
    assert loss(clean[..., :1000], clean[..., :1000]).item() == 0.0  # shorter than one analysis frame: nothing to measure


def test_its_gradient_takes_the_comb_out() -> None:
    loss = CombLoss(HOP)
    target = voiced()[None, None]
    generated = with_comb(voiced(seed=1))[None, None].clone().requires_grad_(True)
    optimizer = torch.optim.Adam([generated], lr=1e-3)
    before = frame_rate_buzz(generated.detach().flatten().numpy(), RATE)
    for _ in range(60):
        optimizer.zero_grad()
        loss(generated, target).backward()
        optimizer.step()
    assert frame_rate_buzz(generated.detach().flatten().numpy(), RATE) < 0.5 * before


def test_config_checks_the_weight_and_the_segment() -> None:
    base = preset("tiny")
    assert base.replace(**{"training.comb_loss_weight": 2.0}).training.comb_loss_weight == 2.0
    with pytest.raises(ConfigError, match="comb_loss_weight must be >= 0"):
        base.replace(**{"training.comb_loss_weight": -1.0})
    with pytest.raises(ConfigError, match="segment_frames of at least 8"):
        base.replace(**{"training.comb_loss_weight": 1.0, "training.segment_frames": 4})
