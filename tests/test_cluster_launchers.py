"""Runs started by a cluster launcher, as two processes on this CPU (gloo, tiny preset, a few steps; #23).

SLURM: each process gets the variables `srun` sets for a task (its job, step, task counts, node list and the
task's own SLURM_PROCID, SLURM_LOCALID and SLURM_NODEID), as two tasks on one node and as one task on each of
two nodes; Lightning's SLURMEnvironment reads them, and with no MASTER_PORT set (srun sets none) it derives the
port from the job id. torchrun: two "nodes", each its own torchrun with --nnodes 2, meeting at 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import random
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from polyvox.cli import app
from test_multiprocess_training import _newest_checkpoint

SCRIPT = Path(__file__).with_name("launched_training.py")
BAD_STEP, MAX_STEPS = 2, 4
# Every variable a launcher (or Lightning, for the processes it starts) sets: none may leak in from outside.
LAUNCH_PREFIXES = ("SLURM_", "TORCHELASTIC_", "GROUP_", "ROLE_")
LAUNCH_VARIABLES = ("RANK", "LOCAL_RANK", "NODE_RANK", "WORLD_SIZE", "LOCAL_WORLD_SIZE", "POLYVOX_RUN_TOKEN",
                    "MASTER_ADDR", "MASTER_PORT")
# SLURM's node names, resolved by Lightning to the first one (its main address): 127.0.0.1 and 127.0.0.2 are
# this machine's loopback, where real node names would need a name server.
NODE_LIST = {1: "127.0.0.1", 2: "127.0.0.[1-2]"}


def _clean_environment() -> dict[str, str]:
    environment = {name: value for name, value in os.environ.items()
                   if name not in LAUNCH_VARIABLES and not name.startswith(LAUNCH_PREFIXES)}
    return {**environment, "OMP_NUM_THREADS": "1"}


def _free_port(candidates: range | None = None) -> int:
    """A port nothing listens on: any (the system's choice), or one of ``candidates``."""
    ports = [0] if candidates is None else random.sample(candidates, 50)
    for port in ports:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise AssertionError(f"no free port in {candidates}")


def _slurm_job_id() -> str:
    """A job id whose port is free: Lightning's SLURMEnvironment listens on 15000 + the id's last four digits."""
    return f"7{_free_port(range(15000, 25000)) - 15000:04d}"


def _srun_task(job_id: str, step: int, nodes: int, tasks_per_node: int, task: int) -> dict[str, str]:
    """The environment `srun` gives task ``task`` of a job step: `sbatch --nodes N --ntasks-per-node T`, then `srun`."""
    tasks = nodes * tasks_per_node
    return {
        **_clean_environment(),
        "SLURM_JOB_ID": job_id, "SLURM_JOBID": job_id, "SLURM_JOB_NAME": "polyvox-voice", "SLURM_STEP_ID": str(step),
        "SLURM_NNODES": str(nodes), "SLURM_JOB_NUM_NODES": str(nodes), "SLURM_NTASKS": str(tasks), "SLURM_NPROCS": str(tasks),
        "SLURM_NTASKS_PER_NODE": str(tasks_per_node), "SLURM_TASKS_PER_NODE": f"{tasks_per_node}(x{nodes})",
        "SLURM_JOB_NODELIST": NODE_LIST[nodes], "SLURM_NODELIST": NODE_LIST[nodes], "SLURM_STEP_NODELIST": NODE_LIST[nodes],
        "SLURM_PROCID": str(task), "SLURM_LOCALID": str(task % tasks_per_node), "SLURM_NODEID": str(task // tasks_per_node),
    }


def _launch(commands: list[list[str]], environments: list[dict[str, str]], out: Path) -> tuple[list[dict], list[dict], list[str]]:
    """Start the processes, wait for all of them; each rank's final state, its record and each process's stderr."""
    out.mkdir()
    processes = [subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for command, environment in zip(commands, environments)]
    try:
        outputs = [process.communicate(timeout=400) for process in processes]
    finally:
        for process in processes:
            process.kill()  # only left running when another one failed or hung
    assert [process.returncode for process in processes] == [0] * len(processes), [errors[-3000:] for _, errors in outputs]
    states = [torch.load(out / f"rank{rank}.pt", weights_only=True) for rank in range(2)]
    records = [json.loads((out / f"ranks{rank}.json").read_text(encoding="utf-8")) for rank in range(2)]
    return states, records, [errors for _, errors in outputs]


def _arguments(manifest: Path, run_dir: Path, out: Path, max_steps: int, devices: int, nodes: int, resume: bool) -> list[str]:
    return [str(manifest), str(run_dir), str(out), str(BAD_STEP), str(max_steps), str(devices), "--nodes", str(nodes),
            *(["--resume"] if resume else [])]


def _srun(manifest: Path, run_dir: Path, out: Path, max_steps: int, nodes: int, job_id: str, step: int,
          resume: bool = False) -> tuple[list[dict], list[dict], list[str]]:
    tasks_per_node = 2 // nodes
    command = [sys.executable, str(SCRIPT), *_arguments(manifest, run_dir, out, max_steps, tasks_per_node, nodes, resume)]
    return _launch([command] * 2, [_srun_task(job_id, step, nodes, tasks_per_node, task) for task in range(2)], out)


def _one_run(states: list[dict], records: list[dict], max_steps: int) -> None:
    """Both ranks trained every step and ended identical; rank 0 alone wrote the checkpoints and the voice."""
    assert [(state["world_size"], state["steps"]) for state in states] == [(2, max_steps)] * 2
    first, second = (state["generator"] for state in states)
    assert first.keys() == second.keys() and all(torch.equal(first[name], second[name]) for name in first)
    assert records[0]["wrote"] and all(name.endswith((".ckpt.partial", ".safetensors")) for name in records[0]["wrote"])
    assert records[1]["wrote"] == []


def _ranks(records: list[dict]) -> list[tuple]:
    return [(record["environment"], record["global_rank"], record["local_rank"], record["node_rank"]) for record in records]


# Each task takes its ranks from srun: SLURM_PROCID is the global rank, SLURM_LOCALID the local one, SLURM_NODEID the node's.
SLURM_RANKS = {1: [("SLURMEnvironment", 0, 0, 0), ("SLURMEnvironment", 1, 1, 0)],
               2: [("SLURMEnvironment", 0, 0, 0), ("SLURMEnvironment", 1, 0, 1)]}


# Two tasks on one node is the slow variant (~19 s): the two-node case exercises the same ranks and more of them.
@pytest.mark.parametrize(
    "nodes", [pytest.param(1, id="two_tasks_on_one_node", marks=pytest.mark.slow), pytest.param(2, id="one_task_on_each_of_two_nodes")]
)
def test_srun_tasks_train_one_run_with_their_slurm_ranks(small_corpus, tmp_path: Path, nodes: int) -> None:
    run_dir = tmp_path / "run"
    states, records, errors = _srun(small_corpus[0] / "manifest.jsonl", run_dir, tmp_path / "out", MAX_STEPS, nodes, _slurm_job_id(), 0)
    assert _ranks(records) == SLURM_RANKS[nodes]
    assert "GLOBAL_RANK: 1, MEMBER: 2/2" in errors[1]
    assert [state["skipped"] for state in states] == [1, 1]  # rank 1's non-finite step was skipped on both
    _one_run(states, records, MAX_STEPS)
    assert len(list((run_dir / "checkpoints").glob("*.ckpt"))) == 1 and (run_dir / "voice.safetensors").is_file()
    saved = _newest_checkpoint(run_dir)["state_dict"]
    assert all(torch.equal(saved[f"generator.{name}"], value) for name, value in states[0]["generator"].items())


@pytest.mark.slow
def test_an_srun_run_resumed_by_the_jobs_next_step_ends_as_the_run_lightning_launches(small_corpus, tmp_path: Path) -> None:
    """Two tasks on one node, then the job's next `srun` (a new step id) with one task on each of two nodes: it goes
    on at the first batch no task took and ends with the parameters of an uninterrupted run launched by Lightning
    (--devices 2, no SLURM), so SLURM's ranks draw the same batches and random numbers as Lightning's own."""
    manifest, run_dir, job_id = small_corpus[0] / "manifest.jsonl", tmp_path / "run", _slurm_job_id()
    _srun(manifest, run_dir, tmp_path / "first", MAX_STEPS, 1, job_id, 0)
    resumed, records, _ = _srun(manifest, run_dir, tmp_path / "second", MAX_STEPS + 2, 2, job_id, 1, resume=True)
    assert _ranks(records) == SLURM_RANKS[2]
    assert [state["stream_position"] for state in resumed] == [2 * MAX_STEPS + 4] * 2
    _one_run(resumed, records, MAX_STEPS + 2)
    command = [sys.executable, str(SCRIPT), *_arguments(manifest, tmp_path / "whole_run", tmp_path / "whole", MAX_STEPS + 2, 2, 1, False)]
    whole, records, _ = _launch([command], [_clean_environment()], tmp_path / "whole")
    assert [record["environment"] for record in records] == ["LightningEnvironment"] * 2
    for uninterrupted, continued in zip(whole, resumed):
        assert all(torch.equal(uninterrupted["generator"][name], value) for name, value in continued["generator"].items())


def test_each_launch_of_a_slurm_job_has_its_own_run_token(monkeypatch) -> None:
    """Followers wait for rank 0's marker of their own launch: a job's next step, or the job requeued (its steps
    numbered from 0 again), must not take an earlier launch's marker for theirs."""
    from polyvox.train.ranks import launch_token

    for name in list(os.environ):
        if name in LAUNCH_VARIABLES or name.startswith(LAUNCH_PREFIXES):
            monkeypatch.delenv(name)
    tokens = []
    for step, restarts in ((0, None), (1, None), (0, "1")):
        for name, value in _srun_task("12345", step, 1, 2, 1).items():
            monkeypatch.setenv(name, value)
        if restarts is not None:
            monkeypatch.setenv("SLURM_RESTART_COUNT", restarts)
        tokens.append(launch_token())
    assert len(set(tokens)) == 3


def _refused_under_srun(corpus_dir: Path, run_dir: Path, monkeypatch, task: dict[str, str], options: list[str]) -> str:
    """`polyvox train` in one srun task: it must stop before writing anything, with one ``error:`` line (returned)."""
    for name in list(os.environ):
        if name in LAUNCH_VARIABLES or name.startswith(LAUNCH_PREFIXES):
            monkeypatch.delenv(name)
    for name, value in task.items():
        if name.startswith("SLURM_"):
            monkeypatch.setenv(name, value)
    result = CliRunner().invoke(app, ["train", "--data", str(corpus_dir / "manifest.jsonl"), "-o", str(run_dir),
                                      "--preset", "tiny", "--max-steps", "2", *options])
    lines = [line for line in result.output.strip().splitlines() if line.startswith("error: ")]
    assert result.exit_code == 1 and len(lines) == 1, result.output
    assert not run_dir.exists()  # Lightning would refuse only after rank 0 had prepared the data
    return lines[0]


@pytest.mark.parametrize(
    ("options", "expected"),
    [(["--nodes", "2"], "--devices 2"), (["--devices", "2"], "--nodes 2"), ([], "--devices 2 --nodes 2")],
)
def test_srun_tasks_other_than_devices_and_nodes_stop_with_one_line_saying_what_to_set(
        small_corpus, tmp_path: Path, monkeypatch, options: list[str], expected: str) -> None:
    """`sbatch --nodes 2 --ntasks-per-node 2` runs four tasks: polyvox must be given --devices 2 --nodes 2."""
    line = _refused_under_srun(small_corpus[0], tmp_path / "run", monkeypatch, _srun_task("12345", 0, 2, 2, 0), options)
    assert f"give {expected}" in line and "SLURM runs 2 task(s) on each of 2 node(s)" in line


def test_srun_tasks_without_tasks_per_node_stop_with_one_line_saying_what_to_ask_for(small_corpus, tmp_path: Path, monkeypatch) -> None:
    """`sbatch --ntasks 4` sets no SLURM_NTASKS_PER_NODE, which Lightning's SLURM support needs."""
    task = {name: value for name, value in _srun_task("12345", 0, 2, 2, 0).items() if name != "SLURM_NTASKS_PER_NODE"}
    line = _refused_under_srun(small_corpus[0], tmp_path / "run", monkeypatch, task, ["--devices", "2", "--nodes", "2"])
    assert "--ntasks-per-node" in line


def test_two_torchrun_nodes_on_this_machine_train_one_run(small_corpus, tmp_path: Path) -> None:
    """docs/training.md's torchrun command across machines, with both "machines" meeting at 127.0.0.1."""
    manifest, run_dir, out, port = small_corpus[0] / "manifest.jsonl", tmp_path / "run", tmp_path / "out", _free_port()
    commands = [[sys.executable, "-m", "torch.distributed.run", "--nnodes", "2", "--node-rank", str(node), "--nproc-per-node", "1",
                 "--rdzv-id", f"polyvox-test-{port}", "--rdzv-backend", "c10d", "--rdzv-endpoint", f"127.0.0.1:{port}",
                 str(SCRIPT), *_arguments(manifest, run_dir, out, MAX_STEPS, 1, 2, resume=False)] for node in (0, 1)]
    states, records, _ = _launch(commands, [_clean_environment()] * 2, out)
    # torchrun picks which process is rank 0; each is on its own "node" with local rank 0.
    assert sorted((record["environment"], record["node_rank"], record["local_rank"]) for record in records) == \
        [("TorchElasticEnvironment", 0, 0), ("TorchElasticEnvironment", 1, 0)]
    assert [state["skipped"] for state in states] == [1, 1]
    _one_run(states, records, MAX_STEPS)
