"""Shared by the robustness tests: the tiny training config, the one-line error check."""

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


def one_error_line(result) -> str:
    """The single ``error: ...`` line of a command that failed cleanly (exit status 1, no traceback)."""
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    lines = [line for line in result.output.strip().splitlines() if line]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    return lines[0]
