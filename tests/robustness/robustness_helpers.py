"""Shared by the robustness tests: the tiny training config."""

from __future__ import annotations

from polyvox.config import VoiceConfig, preset

RUN_STEPS = 4


def tiny_config(max_steps: int) -> VoiceConfig:
    return preset("tiny").replace(
        **{
            "training.max_steps": max_steps,
            "training.checkpoint_every_steps": 2,
            "training.audio_samples_every_steps": 1000,
            "training.discriminator_start_step": 1000,
        }
    )
