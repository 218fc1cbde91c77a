"""Duration predictors (deterministic and stochastic) and the spline they rely on."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor

from polyvox.config import DurationConfig
from polyvox.models.duration import DurationPredictor
from polyvox.models.splines import rational_quadratic_spline
from polyvox.models.stochastic_duration import StochasticDurationPredictor

IN_CHANNELS = 12
SPEAKER_CHANNELS = 4
TINY = DurationConfig(filter_channels=16, dropout=0.1, stochastic_filter_channels=16, stochastic_flows=2)
TRAIN_STEPS = 50


def _inputs(text_lengths: list[int], seed: int = 0) -> tuple[Tensor, Tensor, Tensor]:
    """text_hidden (batch, IN_CHANNELS, text_len), text_mask (batch, 1, text_len), speaker (batch, S, 1)."""
    generator = torch.Generator().manual_seed(seed)
    text_len = max(text_lengths)
    text_mask = (torch.arange(text_len)[None, :] < torch.tensor(text_lengths)[:, None]).float().unsqueeze(1)
    text_hidden = torch.randn(len(text_lengths), IN_CHANNELS, text_len, generator=generator) * text_mask
    speaker = torch.randn(len(text_lengths), SPEAKER_CHANNELS, 1, generator=generator)
    return text_hidden, text_mask, speaker


def _target_durations(text_mask: Tensor) -> Tensor:
    """Fixed whole frame counts (batch, 1, text_len) including zeros."""
    pattern = torch.tensor([0.0, 3.0, 1.0, 7.0, 2.0])
    text_len = text_mask.shape[-1]
    return pattern.repeat(text_len // len(pattern) + 1)[:text_len].expand_as(text_mask) * text_mask


@pytest.mark.parametrize("text_lengths", [[1], [13, 5, 1]])
@pytest.mark.parametrize("speaker_channels", [0, SPEAKER_CHANNELS])
def test_shapes_and_masking(text_lengths: list[int], speaker_channels: int) -> None:
    text_hidden, text_mask, speaker = _inputs(text_lengths)
    speaker_embedding = speaker if speaker_channels else None
    deterministic = DurationPredictor(IN_CHANNELS, TINY, speaker_channels).eval()
    stochastic = StochasticDurationPredictor(IN_CHANNELS, TINY, speaker_channels).eval()

    log_durations = deterministic(text_hidden, text_mask, speaker_embedding)
    nll = stochastic(text_hidden, text_mask, _target_durations(text_mask), speaker_embedding)
    sampled = stochastic.infer(text_hidden, text_mask, speaker_embedding, noise_scale=0.8)

    batch, text_len = len(text_lengths), max(text_lengths)
    assert log_durations.shape == (batch, 1, text_len) and sampled.shape == (batch, 1, text_len)
    assert nll.shape == (batch,)
    for tensor in (log_durations, nll, sampled):
        assert torch.isfinite(tensor).all()
    assert torch.all(log_durations[text_mask == 0] == 0) and torch.all(sampled[text_mask == 0] == 0)


def test_speaker_embedding_without_speaker_channels_is_refused() -> None:
    text_hidden, text_mask, speaker = _inputs([3])
    with pytest.raises(ValueError, match="speaker_channels=0"):
        DurationPredictor(IN_CHANNELS, TINY, 0)(text_hidden, text_mask, speaker)


def test_deterministic_predictor_trains() -> None:
    torch.manual_seed(0)
    text_hidden, text_mask, speaker = _inputs([13, 9, 1])
    target = torch.log(_target_durations(text_mask) + 1.0) * text_mask
    model = DurationPredictor(IN_CHANNELS, TINY, SPEAKER_CHANNELS)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)

    def loss() -> Tensor:
        return torch.sum((model(text_hidden, text_mask, speaker) - target).square()) / text_mask.sum()

    model.eval()
    with torch.no_grad():
        initial = float(loss())
    model.train()
    for _ in range(TRAIN_STEPS):
        optimizer.zero_grad()
        loss().backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        final = float(loss())
    assert final < 0.5 * initial, (initial, final)


def test_stochastic_predictor_trains() -> None:
    torch.manual_seed(0)
    text_hidden, text_mask, speaker = _inputs([13, 9, 1])
    durations = _target_durations(text_mask)
    model = StochasticDurationPredictor(IN_CHANNELS, TINY, SPEAKER_CHANNELS)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)

    def loss(seed: int | None = None) -> Tensor:
        if seed is not None:
            torch.manual_seed(seed)
        return model(text_hidden, text_mask, durations, speaker).sum() / text_mask.sum()

    model.eval()
    with torch.no_grad():
        initial = float(loss(seed=1))
    model.train()
    for _ in range(TRAIN_STEPS):
        optimizer.zero_grad()
        loss().backward()
        optimizer.step()
    model.eval()
    with torch.no_grad():
        final = float(loss(seed=1))
    assert final < initial - 0.5, (initial, final)


def test_stochastic_predictor_is_finite_with_zero_durations() -> None:
    text_hidden, text_mask, speaker = _inputs([6, 1])
    model = StochasticDurationPredictor(IN_CHANNELS, TINY, SPEAKER_CHANNELS)
    nll = model(text_hidden, text_mask, torch.zeros_like(text_mask), speaker)
    nll.sum().backward()
    assert torch.isfinite(nll).all()
    assert all(torch.isfinite(parameter.grad).all() for parameter in model.parameters() if parameter.grad is not None)


def test_stochastic_infer_is_deterministic_without_noise() -> None:
    text_hidden, text_mask, speaker = _inputs([13, 4])
    model = StochasticDurationPredictor(IN_CHANNELS, TINY, SPEAKER_CHANNELS).eval()
    first = model.infer(text_hidden, text_mask, speaker, noise_scale=0.0)
    second = model.infer(text_hidden, text_mask, speaker, noise_scale=0.0)
    assert torch.isfinite(first).all()
    assert torch.equal(first, second)


def test_spline_inverts_and_log_det_matches_autograd() -> None:
    generator = torch.Generator().manual_seed(3)
    bins, tail_bound = 6, 2.0
    inputs = torch.linspace(-3.0, 3.0, 41, dtype=torch.float64).reshape(1, 41)
    widths, heights = (torch.randn(1, 41, bins, generator=generator, dtype=torch.float64) for _ in range(2))
    derivatives = torch.randn(1, 41, bins - 1, generator=generator, dtype=torch.float64)
    inputs.requires_grad_(True)

    outputs, log_det = rational_quadratic_spline(inputs, widths, heights, derivatives, inverse=False, tail_bound=tail_bound)
    (gradient,) = torch.autograd.grad(outputs.sum(), inputs)
    recovered, inverse_log_det = rational_quadratic_spline(
        outputs.detach(), widths, heights, derivatives, inverse=True, tail_bound=tail_bound
    )

    assert torch.allclose(log_det, gradient.log(), atol=1e-8)
    assert torch.allclose(recovered, inputs.detach(), atol=1e-8)
    assert torch.allclose(inverse_log_det, -log_det, atol=1e-8)
    outside = inputs.detach().abs() > tail_bound
    assert torch.equal(outputs.detach()[outside], inputs.detach()[outside])
    assert torch.all(outputs.detach()[~outside].abs() <= tail_bound)
