"""Two training processes on this CPU (gloo): they stay one run (#23)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

SCRIPT = Path(__file__).with_name("two_process_training.py")
BAD_STEP, MAX_STEPS = 2, 4


def _train(corpus_dir: Path, run_dir: Path, out: Path, max_steps: int, devices: int, resume: bool = False,
           strategy: str | None = None) -> tuple[list[dict], str]:
    out.mkdir()
    environment = {**os.environ, "OMP_NUM_THREADS": "1"}
    for name in ("RANK", "LOCAL_RANK", "NODE_RANK", "WORLD_SIZE", "POLYVOX_RUN_TOKEN"):
        environment.pop(name, None)
    command = [sys.executable, str(SCRIPT), str(corpus_dir / "manifest.jsonl"), str(run_dir), str(out), str(BAD_STEP),
               str(max_steps), str(devices), *(["--resume"] if resume else []), *(["--strategy", strategy] if strategy else [])]
    finished = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr[-3000:]
    return [torch.load(out / f"rank{rank}.pt", weights_only=True) for rank in range(devices)], finished.stderr


def _newest_checkpoint(run_dir: Path) -> dict:
    return torch.load(sorted((run_dir / "checkpoints").glob("*.ckpt"), key=lambda p: p.stat().st_mtime)[-1], weights_only=False)


def _two_process_run(corpus_dir: Path, run_dir: Path, out: Path) -> None:
    ranks, stderr = _train(corpus_dir, run_dir, out, MAX_STEPS, devices=2)
    assert [state["world_size"] for state in ranks] == [2, 2]
    # Rank 1's non-finite batch skipped the generator's update in both processes, and nothing diverged.
    assert [state["skipped"] for state in ranks] == [1, 1]
    assert [state["steps"] for state in ranks] == [MAX_STEPS, MAX_STEPS]
    first, second = (state["generator"] for state in ranks)
    assert first.keys() == second.keys()
    assert all(torch.equal(first[name], second[name]) for name in first)
    assert "non-finite generator loss (in another process)" in stderr  # rank 0 says why it skipped
    # Rank 0 alone wrote the run: its last checkpoint holds the parameters both processes ended with.
    saved = _newest_checkpoint(run_dir)
    assert all(torch.equal(saved["state_dict"][f"generator.{name}"], value) for name, value in first.items())
    assert saved["polyvox"]["stream_position"] == 2 * MAX_STEPS


def test_two_processes_agree_on_every_step_and_share_one_run_folder(small_corpus, tmp_path: Path) -> None:
    _two_process_run(small_corpus[0], tmp_path / "run", tmp_path / "two")


@pytest.mark.slow
def test_a_two_process_run_resumes_with_one_process_and_with_two_again(small_corpus, tmp_path: Path) -> None:
    """Each resumed run goes on at the first batch no process took (the samplers' own test covers the batches)."""
    corpus_dir, run_dir = small_corpus[0], tmp_path / "run"
    _two_process_run(corpus_dir, run_dir, tmp_path / "two")
    (alone,), _ = _train(corpus_dir, run_dir, tmp_path / "one", MAX_STEPS + 2, devices=1, resume=True)
    assert (alone["steps"], alone["stream_position"]) == (MAX_STEPS + 2, 2 * MAX_STEPS + 2)
    again, _ = _train(corpus_dir, run_dir, tmp_path / "two_again", MAX_STEPS + 4, devices=2, resume=True)
    assert [(state["steps"], state["stream_position"]) for state in again] == [(MAX_STEPS + 4, 2 * MAX_STEPS + 6)] * 2
    assert all(torch.equal(again[0]["generator"][name], value) for name, value in again[1]["generator"].items())


@pytest.mark.slow
def test_a_two_process_run_resumed_by_two_ends_as_the_uninterrupted_run(small_corpus, tmp_path: Path) -> None:
    """Each process draws its own random numbers (segments, noise): a checkpoint keeps every process's state."""
    corpus_dir = small_corpus[0]
    whole, _ = _train(corpus_dir, tmp_path / "whole_run", tmp_path / "whole", MAX_STEPS + 2, devices=2)
    _train(corpus_dir, tmp_path / "split_run", tmp_path / "first", MAX_STEPS, devices=2)
    resumed, _ = _train(corpus_dir, tmp_path / "split_run", tmp_path / "second", MAX_STEPS + 2, devices=2, resume=True)
    for uninterrupted, continued in zip(whole, resumed):
        assert all(torch.equal(uninterrupted["generator"][name], value) for name, value in continued["generator"].items())
