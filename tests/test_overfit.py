"""``polyvox train --overfit-batch``: the verdict, the exit code, and a real run on one batch."""

from __future__ import annotations

import math
import re

import pytest
from typer.testing import CliRunner

from polyvox.cli import app
from polyvox.train import overfit
from polyvox.train.overfit import EXPECTED_FALL_FACTOR, OverfitResult


def test_verdict_passes_only_when_the_loss_falls_by_the_expected_factor():
    works = OverfitResult(steps=300, batch_size=4, start_mel_loss=2.31, end_mel_loss=0.52)
    assert works.passed and works.verdict().startswith("set-up works: mel loss 2.31 -> 0.52 (4.4x) in 300 steps")
    slow = OverfitResult(steps=300, batch_size=4, start_mel_loss=2.0, end_mel_loss=2.0 / EXPECTED_FALL_FACTOR * 1.01)
    assert not slow.passed and slow.verdict().startswith("mel loss did not fall")
    diverged = OverfitResult(steps=12, batch_size=4, start_mel_loss=2.0, end_mel_loss=math.nan)
    assert not diverged.passed


def test_flag_alone_uses_the_default_steps_and_exit_code_follows_the_verdict(monkeypatch, tmp_path):
    seen = []

    def fake(manifest, run_dir, config, steps, progress=False):
        seen.append(steps)
        assert progress  # the command shows the steps as they go
        return OverfitResult(steps=steps, batch_size=2, start_mel_loss=1.0, end_mel_loss=0.9)

    monkeypatch.setattr(overfit, "overfit_batch", fake)
    result = CliRunner().invoke(app, ["train", "-d", "m.jsonl", "-o", str(tmp_path), "--preset", "tiny", "--overfit-batch"])
    assert seen == [overfit.DEFAULT_OVERFIT_STEPS]
    assert result.exit_code == 1 and "mel loss did not fall" in result.output


@pytest.mark.slow
def test_overfit_one_batch_of_the_small_corpus(small_corpus, tmp_path):
    manifest = small_corpus[0] / "manifest.jsonl"
    result = CliRunner().invoke(
        app, ["train", "-d", str(manifest), "-o", str(tmp_path / "run"), "--preset", "tiny", "--overfit-batch", "--overfit-steps", "60",
              "--set", "training.batch_size=4"],
    )
    verdict = [line for line in result.output.splitlines() if line.startswith(("set-up works", "mel loss did not fall"))]
    assert len(verdict) == 1, result.output
    passed = verdict[0].startswith("set-up works")
    assert result.exit_code == (0 if passed else 1)
    assert "in 60 steps on one batch of 4 clips" in verdict[0]
    assert (tmp_path / "run" / "overfit" / "data_report.json").is_file()


def test_the_check_shows_a_bar_over_its_steps(small_corpus, tmp_path, capsys):
    from polyvox.config import preset

    config = preset("tiny").replace(**{"training.batch_size": 2})
    result = overfit.overfit_batch(small_corpus[0] / "manifest.jsonl", tmp_path / "run", config, steps=10, progress=True)
    assert result.steps == 10
    assert re.search(r"overfit: 100%.*10/10 \[.*mel=\d+\.\d{3}", capsys.readouterr().err)
