"""Multi-resolution STFT loss: zero for identical audio, sees fine spectral structure, trains in bf16-mixed."""

from __future__ import annotations

import math

import pytest
import torch

from polyvox.config import ConfigError, TrainingConfig, VoiceConfig, preset
from polyvox.train.stft_loss import MultiResolutionStftLoss

SAMPLE_RATE = 22050
RESOLUTIONS = TrainingConfig().stft_loss_resolutions


def harmonic(f0: torch.Tensor) -> torch.Tensor:
    """A voiced-like signal: harmonics of a (time-varying) f0 with a falling envelope."""
    phase = 2 * math.pi * torch.cumsum(f0, 0) / SAMPLE_RATE
    signal = torch.zeros_like(f0)
    for k in range(1, 60):
        amplitude = torch.where(k * f0 < SAMPLE_RATE / 2, 1.0 / (1.0 + k * f0 / 300.0), torch.zeros_like(f0))
        signal = signal + amplitude * torch.sin(k * phase)
    return 0.5 * signal / signal.abs().max()


def test_identical_audio_costs_nothing_and_a_frame_rate_comb_costs_more_than_a_gain_error() -> None:
    loss = MultiResolutionStftLoss(RESOLUTIONS)
    time = torch.arange(8192) / SAMPLE_RATE
    speech = harmonic(200 + 30 * torch.sin(2 * math.pi * 2 * time)).view(1, 1, -1)
    assert loss(speech, speech).item() == pytest.approx(0.0, abs=1e-6)
    # The same envelope on a buzz at the frame rate (22050 / 256 Hz), at the same energy: the decoder
    # artefact this loss is for. It must cost more than halving the level, which changes no structure.
    buzz = harmonic(torch.full((8192,), SAMPLE_RATE / 256)).view(1, 1, -1)
    buzz = buzz / buzz.norm() * speech.norm()
    assert loss(buzz, speech).item() > 1.5 * loss(0.5 * speech, speech).item()


def test_gradients_reach_the_generated_waveform_under_bf16_autocast() -> None:
    loss = MultiResolutionStftLoss(RESOLUTIONS)
    target = torch.randn(2, 1, 4096)
    generated = torch.randn(2, 1, 4096, requires_grad=True)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        value = loss(generated, target)
    assert value.dtype == torch.float32
    value.backward()
    assert generated.grad is not None and bool(torch.isfinite(generated.grad).all())
    assert generated.grad.abs().sum() > 0


def test_config_rejects_a_resolution_longer_than_the_training_segment() -> None:
    base = preset("tiny")  # 16 frames of 256 samples: 4096
    base.replace(**{"training.stft_loss_weight": 1.0})  # the default resolutions fit
    with pytest.raises(ConfigError, match="segment"):
        base.replace(**{"training.stft_loss_weight": 1.0, "training.stft_loss_resolutions": [[16384, 256, 1024]]})
    with pytest.raises(ConfigError, match="hop <= window <= n_fft"):
        VoiceConfig(training=TrainingConfig(stft_loss_resolutions=((512, 600, 240),)))
    for malformed in ([[512, 50]], [], 5, [[512, 50.5, 240]]):
        # The type check names the field and the shape; an empty list is caught by the field's own check.
        with pytest.raises(ConfigError, match=r"stft_loss_resolutions (must be a list of lists of 3|needs at least one)"):
            base.replace(**{"training.stft_loss_resolutions": malformed})
