"""A training process killed with SIGKILL leaves only complete checkpoints and resumes to exactly max_steps."""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time

import pytest
import torch

from polyvox.voice_file import read_metadata
from polyvox.train.callbacks import checkpoint_files

MAX_STEPS = 16


def _checkpoints(run):
    folder = run / "checkpoints"
    return checkpoint_files(folder) if folder.is_dir() else []


@pytest.mark.slow
def test_a_killed_run_resumes_to_exactly_max_steps(small_corpus, tmp_path):
    run = tmp_path / "run"
    command = [
        sys.executable, "-m", "polyvox.cli", "train", "-d", str(small_corpus[0] / "manifest.jsonl"), "-o", str(run),
        "--preset", "tiny", "--max-steps", str(MAX_STEPS), "--set", "training.checkpoint_every_steps=2",
        "--set", "training.discriminator_start_step=4", "--set", "training.audio_samples_every_steps=1000",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        while not _checkpoints(run):
            assert process.poll() is None, "training ended before its first checkpoint"
            assert time.monotonic() < deadline, "no checkpoint after 300 s"
            time.sleep(0.05)
        time.sleep(random.uniform(0.0, 2.0))
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()

    for path in _checkpoints(run):
        state = torch.load(path, map_location="cpu", weights_only=True)  # a partial file would not load
        assert path.stem == f"step-{state['polyvox']['steps_done']}"
    resumed = subprocess.run(command + ["--resume"], capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert f"trained {MAX_STEPS} steps" in resumed.stdout
    assert read_metadata(run / "voice.safetensors").info["steps"] == str(MAX_STEPS)
