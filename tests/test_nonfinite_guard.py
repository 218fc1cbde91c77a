"""Non-finite values in training: a bad batch is skipped and named, a NaN weight is rolled back, NaN that keeps
coming back stops the run."""

from __future__ import annotations

import logging
import math

import pytest
import torch

from polyvox.config import preset
from polyvox.train.guards import TrainingDivergedError
from polyvox.train.module import VitsTrainingModule
from polyvox.train.run import train


def _config(max_steps: int):
    return preset("tiny").replace(
        **{
            "training.max_steps": max_steps,
            "training.checkpoint_every_steps": 2,
            "training.audio_samples_every_steps": 1000,
            "training.discriminator_start_step": 1000,
            "training.max_consecutive_bad_steps": 3,
        }
    )


def _inject(monkeypatch, corrupt):
    """Call ``corrupt(module, batch)`` before every training step."""
    original = VitsTrainingModule.training_step

    def step(self, batch, batch_index):
        corrupt(self, batch)
        return original(self, batch, batch_index)

    monkeypatch.setattr(VitsTrainingModule, "training_step", step)


def _poison_weights_from(step: int):
    def corrupt(module, batch):
        if module.steps_done >= step:
            with torch.no_grad():
                next(module.generator.parameters()).fill_(float("nan"))

    return corrupt


def test_a_nan_batch_is_skipped_named_and_training_continues(small_corpus, tmp_path, monkeypatch, caplog):
    def corrupt(module, batch):
        if module.steps_done == 2:
            batch.mel.fill_(float("nan"))

    _inject(monkeypatch, corrupt)
    manifest = small_corpus[0] / "manifest.jsonl"
    with caplog.at_level(logging.WARNING):
        result = train(manifest, tmp_path / "run", _config(5), progress=False, validation_per_language=0)
    assert result.steps == 5
    assert "step 2: non-finite generator loss (the batch's mel is not finite (bad data)); update skipped" in caplog.text
    state = torch.load(result.checkpoint, map_location="cpu", weights_only=True)
    assert state["polyvox"]["skipped_generator_steps"] == 1
    assert all(bool(torch.isfinite(value).all()) for value in state["state_dict"].values() if value.is_floating_point())


@pytest.mark.slow
def test_a_nan_weight_rolls_back_to_the_last_checkpoint_at_half_the_learning_rate(small_corpus, tmp_path, monkeypatch, caplog):
    poison = _poison_weights_from(4)
    fired = []

    def corrupt(module, batch):
        if not fired:  # once: the rollback must then bring finite weights back for good
            poison(module, batch)
            fired.extend([True] if module.steps_done >= 4 else [])

    _inject(monkeypatch, corrupt)
    manifest = small_corpus[0] / "manifest.jsonl"
    config = _config(10)
    with caplog.at_level(logging.WARNING):
        result = train(manifest, tmp_path / "run", config, progress=False, validation_per_language=0)
    assert result.steps == 10
    assert "rolled back to step-4.ckpt; learning rate multiplied by 0.5" in caplog.text
    assert "parameter generator." in caplog.text  # the bad step names the NaN weight
    state = torch.load(result.checkpoint, map_location="cpu", weights_only=True)
    assert all(bool(torch.isfinite(value).all()) for value in state["state_dict"].values() if value.is_floating_point())
    learning_rate = state["optimizer_states"][0]["param_groups"][0]["lr"]
    assert math.isclose(learning_rate, config.training.learning_rate * 0.5, rel_tol=1e-3)


@pytest.mark.slow
def test_nan_that_keeps_coming_back_stops_the_run(small_corpus, tmp_path, monkeypatch):
    _inject(monkeypatch, _poison_weights_from(4))
    manifest = small_corpus[0] / "manifest.jsonl"
    with pytest.raises(TrainingDivergedError, match="right after going back to a checkpoint"):
        train(manifest, tmp_path / "run", _config(12), progress=False, validation_per_language=0)


def test_nan_without_a_checkpoint_stops_the_run(small_corpus, tmp_path, monkeypatch):
    _inject(monkeypatch, _poison_weights_from(0))
    manifest = small_corpus[0] / "manifest.jsonl"
    with pytest.raises(TrainingDivergedError, match="no checkpoint with finite weights"):
        train(manifest, tmp_path / "run", _config(12), progress=False, validation_per_language=0)
