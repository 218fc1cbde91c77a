"""Ctrl-C during training loses no step: the run stops after the step and saves a checkpoint there."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import torch

from polyvox.train.callbacks import checkpoint_files


def test_ctrl_c_stops_after_the_step_and_saves_a_checkpoint_there(small_corpus, tmp_path: Path) -> None:
    corpus_dir, _ = small_corpus
    run_dir = tmp_path / "run"
    command = [
        sys.executable, "-m", "polyvox.cli", "train", "-d", str(corpus_dir / "manifest.jsonl"), "-o", str(run_dir),
        "--preset", "tiny", "--max-steps", "100000", "--threads", "1", "--set", "training.checkpoint_every_steps=100000",
    ]
    environment = {name: value for name, value in os.environ.items() if name not in ("RANK", "LOCAL_RANK", "NODE_RANK")}
    process = subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    seen = ""
    deadline = time.monotonic() + 300
    while "mel=" not in seen and time.monotonic() < deadline:  # the progress bar shows the loss from the first steps
        seen += process.stdout.read(1)
    assert "mel=" in seen, seen[-2000:]
    assert not checkpoint_files(run_dir / "checkpoints")  # a checkpoint every 100,000 steps: none yet
    process.send_signal(signal.SIGINT)
    output = seen + process.communicate(timeout=300)[0]
    assert process.returncode == 130, output[-2000:]
    assert "stopping after this step" in output and "--resume" in output
    saved = checkpoint_files(run_dir / "checkpoints")
    assert len(saved) == 1, output[-2000:]
    steps = torch.load(saved[0], weights_only=False)["polyvox"]["steps_done"]
    assert steps >= 1 and saved[0].stem == f"step-{steps}"
    assert (run_dir / "voice.safetensors").is_file()
