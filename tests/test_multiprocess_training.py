"""Two training processes on this CPU (gloo): they stay one run (#23)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import torch

SCRIPT = Path(__file__).with_name("two_process_training.py")
BAD_STEP, MAX_STEPS = 2, 4


def test_two_processes_agree_on_every_step_and_share_one_run_folder(small_corpus, tmp_path: Path) -> None:
    corpus_dir, _ = small_corpus
    run_dir, out = tmp_path / "run", tmp_path / "ranks"
    out.mkdir()
    environment = {**os.environ, "OMP_NUM_THREADS": "1"}
    for name in ("RANK", "LOCAL_RANK", "NODE_RANK", "WORLD_SIZE", "POLYVOX_RUN_TOKEN"):
        environment.pop(name, None)
    command = [sys.executable, str(SCRIPT), str(corpus_dir / "manifest.jsonl"), str(run_dir), str(out), str(BAD_STEP), str(MAX_STEPS)]
    finished = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=300)
    assert finished.returncode == 0, finished.stderr[-3000:]
    ranks = [torch.load(out / f"rank{rank}.pt", weights_only=True) for rank in (0, 1)]
    assert [state["world_size"] for state in ranks] == [2, 2]
    # Rank 1's non-finite batch skipped the generator's update in both processes, and nothing diverged.
    assert [state["skipped"] for state in ranks] == [1, 1]
    assert [state["steps"] for state in ranks] == [MAX_STEPS, MAX_STEPS]
    first, second = (state["generator"] for state in ranks)
    assert first.keys() == second.keys()
    assert all(torch.equal(first[name], second[name]) for name in first)
    assert "non-finite generator loss (in another process)" in finished.stderr  # rank 0 says why it skipped
    # Rank 0 alone wrote the run: its last checkpoint holds the parameters both processes ended with.
    saved = torch.load(sorted((run_dir / "checkpoints").glob("*.ckpt"))[-1], weights_only=False)["state_dict"]
    assert all(torch.equal(saved[f"generator.{name}"], value) for name, value in first.items())
