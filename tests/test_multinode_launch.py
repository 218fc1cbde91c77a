"""Two machines started by hand (docs/training.md: the same command on each, NODE_RANK its number), here as two
processes on this CPU: with a shared POLYVOX_RUN_TOKEN they train one run; without it both stop at once (#23)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import torch
from typer.testing import CliRunner

from polyvox.cli import app

SCRIPT = Path(__file__).with_name("two_process_training.py")
BAD_STEP, MAX_STEPS = 2, 4
LAUNCH_VARIABLES = ("RANK", "LOCAL_RANK", "NODE_RANK", "WORLD_SIZE", "POLYVOX_RUN_TOKEN", "TORCHELASTIC_RUN_ID",
                    "SLURM_JOB_ID", "SLURM_NTASKS", "SLURM_PROCID", "MASTER_ADDR", "MASTER_PORT")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _machine_environment(node: int, port: int, token: str | None) -> dict[str, str]:
    environment = {name: value for name, value in os.environ.items() if name not in LAUNCH_VARIABLES}
    environment.update(OMP_NUM_THREADS="1", NODE_RANK=str(node), MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    if token is not None:
        environment["POLYVOX_RUN_TOKEN"] = token
    return environment


def test_two_machines_with_one_run_token_train_one_run(small_corpus, tmp_path: Path) -> None:
    manifest, run_dir, out, port = small_corpus[0] / "manifest.jsonl", tmp_path / "run", tmp_path / "out", _free_port()
    out.mkdir()
    command = [sys.executable, str(SCRIPT), str(manifest), str(run_dir), str(out), str(BAD_STEP), str(MAX_STEPS), "1", "--nodes", "2"]
    machines = [subprocess.Popen(command, env=_machine_environment(node, port, "test-launch"), stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True) for node in (0, 1)]
    outputs = [machine.communicate(timeout=300) for machine in machines]
    assert [machine.returncode for machine in machines] == [0, 0], [errors[-2000:] for _, errors in outputs]
    ranks = [torch.load(out / f"rank{rank}.pt", weights_only=True) for rank in (0, 1)]
    assert [state["world_size"] for state in ranks] == [2, 2]
    # The second machine's non-finite batch was skipped on both, and their parameters stayed identical.
    assert [state["skipped"] for state in ranks] == [1, 1]
    first, second = (state["generator"] for state in ranks)
    assert all(torch.equal(first[name], second[name]) for name in first)
    # The second machine was the second process of one group, and the first machine alone wrote the run.
    assert "GLOBAL_RANK: 1, MEMBER: 2/2" in outputs[1][1]
    assert len(list((run_dir / "checkpoints").glob("*.ckpt"))) == 1


def test_two_machines_without_a_run_token_stop_with_one_line_saying_what_to_set(small_corpus, tmp_path: Path, monkeypatch) -> None:
    port = _free_port()
    for node in (0, 1):
        for name in LAUNCH_VARIABLES:
            monkeypatch.delenv(name, raising=False)
        for name, value in _machine_environment(node, port, None).items():
            if name in LAUNCH_VARIABLES:
                monkeypatch.setenv(name, value)
        result = CliRunner().invoke(app, ["train", "--data", str(small_corpus[0] / "manifest.jsonl"), "-o",
                                          str(tmp_path / f"run{node}"), "--preset", "tiny", "--nodes", "2", "--max-steps", "2"])
        lines = [line for line in result.output.strip().splitlines() if line.startswith("error: ")]
        assert result.exit_code == 1 and len(lines) == 1, result.output
        assert "POLYVOX_RUN_TOKEN" in lines[0] and "every machine" in lines[0]
        assert not (tmp_path / f"run{node}").exists()  # nothing written: the other machines stopped as well
