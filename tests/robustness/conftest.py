"""Fixtures of the robustness suite: a small trained run to break in various ways."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from robustness_helpers import RUN_STEPS, tiny_config


@pytest.fixture(scope="session")
def trained_run(small_corpus, tmp_path_factory) -> Path:
    """A finished 4-step run (checkpoints at steps 2 and 4); copy it (``run_copy``) before changing it."""
    from polyvox.train.run import train

    run = tmp_path_factory.mktemp("trained") / "run"
    train(small_corpus[0] / "manifest.jsonl", run, tiny_config(RUN_STEPS), progress=False, validation_per_language=0)
    return run


@pytest.fixture()
def run_copy(trained_run, tmp_path) -> Path:
    copy = tmp_path / "run"
    shutil.copytree(trained_run, copy)
    return copy
