"""--threads on every computing command: it reaches torch, and processes x threads stay within the cores."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import torch
from typer.testing import CliRunner

from polyvox import threads as thread_settings
from polyvox.cli import app

VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OMP_WAIT_POLICY")
CORES = 2  # what every test here makes the machine look like


@pytest.fixture(autouse=True)
def two_cores(monkeypatch: pytest.MonkeyPatch):
    """Two available cores, nothing else busy; the environment and torch's threads are put back after."""
    for variable in VARIABLES:
        if variable in os.environ:
            monkeypatch.setenv(variable, os.environ[variable])
        else:
            monkeypatch.delenv(variable, raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)  # conftest's, which would stand for --threads
    monkeypatch.setattr(thread_settings, "available_cores", lambda *args: CORES)
    monkeypatch.setattr(thread_settings, "busy_cores", lambda *args: 0.0)
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def run(*args: str | Path):
    return CliRunner().invoke(app, [str(arg) for arg in args])


@pytest.mark.parametrize("value", ["0", "-2"])
def test_a_count_below_one_is_one_error_line(value):
    result = run("say", "Hello.", "-o", "x.wav", "--threads", value)
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "--threads" in lines[0], result.output


@pytest.mark.parametrize("command", [
    ["train", "-d", "missing.jsonl", "-o", "run"],
    ["finetune", "-d", "missing.jsonl", "--run-dir", "run"],
    ["evaluate", "-r", "missing.jsonl", "-o", "report", "--voice", "missing.safetensors"],
    ["export", "missing.safetensors", "-o", "missing/voice.onnx"],
    ["doctor", "missing.safetensors"],
    ["say", "Hello.", "-o", "out.wav", "--voice", "missing.safetensors"],
])
def test_threads_reach_torch_in_every_computing_command(command, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    torch.set_num_threads(1)
    result = run(*command, "--threads", "2")
    assert "Traceback" not in result.output
    assert torch.get_num_threads() == 2, result.output
    assert os.environ["OMP_NUM_THREADS"] == "2"
    assert os.environ["OMP_WAIT_POLICY"].upper() == "PASSIVE"


def test_more_threads_than_cores_are_lowered_and_logged(tmp_path, caplog):
    run("doctor", tmp_path / "missing.safetensors", "--threads", "16")
    assert torch.get_num_threads() == CORES
    assert f"--threads 16 is more than the {CORES} core(s) this process may use; using {CORES}" in caplog.messages


@pytest.fixture
def batch_calls(monkeypatch) -> list[dict[str, Any]]:
    """What ``say --batch`` hands run_batch (which is not run)."""
    from polyvox.inference import batch

    calls: list[dict[str, Any]] = []

    def record(items, folder, load_voice, settings, jobs=2, threads=1, **kwargs):
        calls.append({"jobs": jobs, "threads": threads})
        return batch.BatchReport(written=0, skipped=0, failures=())

    monkeypatch.setattr(batch, "run_batch", record)
    return calls


@pytest.mark.parametrize("options, jobs, threads", [
    ([], 2, 1),  # default: one process per free core
    (["--jobs", "1"], 1, 2),
    (["--jobs", "1", "--threads", "1"], 1, 1),
    (["--jobs", "4"], 2, 1),
    (["--jobs", "2", "--threads", "8"], 2, 1),
])
def test_batch_jobs_divide_the_cores(batch_calls, tmp_path, options, jobs, threads):
    lines = tmp_path / "lines.txt"
    lines.write_text("Hello.\n")
    result = run("say", "--batch", lines, "-o", tmp_path / "out", *options)
    assert result.exit_code == 0, result.output
    assert batch_calls == [{"jobs": jobs, "threads": threads}]
    assert jobs * threads <= CORES


@pytest.mark.parametrize("options, concurrent, threads", [
    ([], 2, 1),
    (["--max-concurrent", "1"], 1, 2),
    (["--max-concurrent", "4"], 2, 1),
    (["--max-concurrent", "1", "--threads", "1"], 1, 1),
])
def test_serve_syntheses_divide_the_cores(monkeypatch, options, concurrent, threads):
    pytest.importorskip("fastapi")
    import uvicorn

    import polyvox.server as server

    started: dict[str, Any] = {}
    monkeypatch.setattr(server, "create_app", lambda settings: started.setdefault("settings", settings), raising=False)
    monkeypatch.setattr(uvicorn, "run", lambda application, **kwargs: started.setdefault("torch_threads", torch.get_num_threads()))
    result = run("serve", *options)
    assert result.exit_code == 0, result.output
    assert started["settings"].max_concurrent == concurrent
    assert started["torch_threads"] == threads
    assert concurrent * threads <= CORES


def test_prepare_workers_divide_the_cores_and_inherit_the_environment(monkeypatch, tmp_path):
    from polyvox.prepare import pipeline
    from polyvox.prepare.errors import PrepareError

    seen: dict[str, Any] = {}

    def record(source, output, target, settings, *args, **kwargs):
        seen.update(workers=settings.workers, environment=os.environ["OMP_NUM_THREADS"])
        raise PrepareError("stopped by the test")

    monkeypatch.setattr(pipeline, "prepare_dataset", record)
    source = tmp_path / "clips"
    source.mkdir()
    result = run("prepare", source, "-o", tmp_path / "out", "--whisper-model", tmp_path, "--workers", "3")
    assert "stopped by the test" in result.output
    assert seen == {"workers": 2, "environment": "1"}


def stop_training(*args: Any, **kwargs: Any) -> None:
    from polyvox.errors import TrainingSetupError

    raise TrainingSetupError("stopped by the test")


@pytest.mark.parametrize("command", [["train", "-d", "missing.jsonl", "-o", "run"]])  # finetune runs in one process
def test_training_processes_on_the_cpu_divide_the_threads(command, tmp_path, monkeypatch):
    import polyvox.train.run

    # The command stops where the work would begin (a follower rank would wait for rank 0 there).
    monkeypatch.setattr(polyvox.train.run, "train", stop_training)
    monkeypatch.chdir(tmp_path)
    assert "stopped by the test" in run(*command, "--devices", "2", "--threads", "2").output
    assert torch.get_num_threads() == 1
    # The second rank Lightning starts runs the command again with the first one's (divided) environment.
    monkeypatch.setenv("LOCAL_RANK", "1")
    torch.set_num_threads(2)
    assert "stopped by the test" in run(*command, "--devices", "2").output
    assert torch.get_num_threads() == 1 and os.environ["OMP_NUM_THREADS"] == "1"


@pytest.mark.parametrize("launcher", [
    {"TORCHELASTIC_RUN_ID": "job7", "RANK": "1", "LOCAL_RANK": "1"},
    {"SLURM_NTASKS": "2", "SLURM_NTASKS_PER_NODE": "2", "SLURM_NNODES": "1", "SLURM_PROCID": "1", "SLURM_LOCALID": "1",
     "SLURM_JOB_NAME": "voice", "SLURM_JOB_ID": "1234"},
])
def test_every_process_torchrun_or_srun_starts_divides_the_threads_itself(launcher, tmp_path, monkeypatch):
    import polyvox.train.run

    # torchrun and srun start each process from their own environment, not from rank 0's divided one, so a
    # follower that took the machine's threads whole would leave its siblings short.
    monkeypatch.setattr(polyvox.train.run, "train", stop_training)
    monkeypatch.chdir(tmp_path)
    for name, value in launcher.items():
        monkeypatch.setenv(name, value)
    torch.set_num_threads(2)
    assert "stopped by the test" in run("train", "-d", "missing.jsonl", "-o", "run", "--devices", "2", "--threads", "2").output
    assert torch.get_num_threads() == 1


def test_more_devices_than_threads_keep_their_count_with_one_thread_each():
    plan = thread_settings.plan_threads(1, 4, cores=CORES, busy=0.0, what="--devices", lower_processes=False)
    assert (plan.processes, plan.threads) == (4, 1)


def test_the_onnx_engine_gets_the_threads(monkeypatch, tmp_path):
    from polyvox.export.metadata import OnnxVoiceError
    from polyvox.inference.onnx_voice import OnnxVoice

    seen: list[int | None] = []

    def record(path, threads=None, text_features=None):
        seen.append(threads)
        raise OnnxVoiceError("stopped by the test")

    monkeypatch.setattr(OnnxVoice, "load", record)
    result = run("say", "Hello.", "-o", tmp_path / "out.wav", "--engine", "onnx", "--voice", tmp_path / "voice.onnx", "--threads", "2")
    assert "stopped by the test" in result.output
    assert seen == [2]
