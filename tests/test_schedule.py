"""The learning-rate schedule: training.warmup_steps's linear warm-up, then the exponential decay."""

from __future__ import annotations

import pytest
import torch

from polyvox.config import ConfigError, TrainingConfig, preset
from polyvox.text import SymbolTable
from polyvox.train.module import VitsTrainingModule
from polyvox.train.schedule import learning_rate_schedule
from polyvox.voice_file import VoiceMetadata


def rates(training: TrainingConfig, steps: int, resume_at: int | None = None) -> list[float]:
    """The learning rate of each of ``steps`` optimizer steps; with ``resume_at``, the optimizer and schedule are saved
    after that many steps and new ones (a resumed run's) take over from their states."""
    parameter = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.AdamW([parameter], lr=training.learning_rate)
    schedule = learning_rate_schedule(optimizer, training)
    seen = []
    for step in range(steps):
        if step == resume_at:
            states = optimizer.state_dict(), schedule.state_dict()  # what a checkpoint holds of both
            optimizer = torch.optim.AdamW([parameter], lr=training.learning_rate)
            schedule = learning_rate_schedule(optimizer, training)
            optimizer.load_state_dict(states[0])
            schedule.load_state_dict(states[1])
        seen.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        schedule.step()
    return seen


def test_the_warm_up_rises_linearly_to_the_rate_then_decays_as_without_one():
    plain = TrainingConfig(learning_rate=1e-3, lr_decay_per_step=0.99)
    warm = TrainingConfig(learning_rate=1e-3, lr_decay_per_step=0.99, warmup_steps=4)
    without, with_warmup = rates(plain, 8), rates(warm, 8)
    assert without == pytest.approx([1e-3 * 0.99**step for step in range(8)], rel=1e-12)
    assert with_warmup[:4] == pytest.approx([1e-3 * (step + 1) / 4 * 0.99**step for step in range(4)], rel=1e-12)
    assert with_warmup[4:] == pytest.approx(without[4:], rel=1e-12)


def test_a_resumed_run_continues_the_warm_up_where_it_stopped():
    warm = TrainingConfig(learning_rate=1e-3, warmup_steps=10)
    assert rates(warm, 12, resume_at=3) == pytest.approx(rates(warm, 12), rel=1e-12)
    plain = TrainingConfig(learning_rate=1e-3, lr_decay_per_step=0.9)
    assert rates(plain, 6, resume_at=3) == pytest.approx(rates(plain, 6), rel=1e-12)


def test_runs_without_a_warm_up_keep_their_scheduler_so_older_checkpoints_resume():
    config = preset("tiny")
    module = VitsTrainingModule(VoiceMetadata(config, SymbolTable.from_sequences([["a", "b"]]), ("en",), ("s",), {}))
    _, schedulers = module.configure_optimizers()
    assert all(isinstance(schedule, torch.optim.lr_scheduler.ExponentialLR) for schedule in schedulers)
    warm = config.replace(**{"training.warmup_steps": 50})
    module = VitsTrainingModule(VoiceMetadata(warm, SymbolTable.from_sequences([["a", "b"]]), ("en",), ("s",), {}))
    optimizers, _ = module.configure_optimizers()
    assert [optimizer.param_groups[0]["lr"] for optimizer in optimizers] == pytest.approx([warm.training.learning_rate / 50] * 2)
    with pytest.raises(ConfigError, match=r"warmup_steps must be >= 0 \(0: no warm-up\), got -1"):
        TrainingConfig(warmup_steps=-1)
