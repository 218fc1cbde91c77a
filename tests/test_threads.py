"""polyvox.threads: the default thread count, its division among processes, and where it is applied."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from polyvox import threads as thread_settings
from polyvox.threads import ThreadsError, busy_cores, default_threads, plan_threads, quota_cores, use_threads

VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OMP_WAIT_POLICY")


@pytest.fixture(autouse=True)
def restored_settings(monkeypatch: pytest.MonkeyPatch):
    """Each test may change the environment and torch's threads; both are put back after it."""
    for variable in VARIABLES:  # setting a variable to its own value makes monkeypatch restore it
        if variable in os.environ:
            monkeypatch.setenv(variable, os.environ[variable])
        else:
            monkeypatch.delenv(variable, raising=False)
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("cores", [1, 2, 3, 8])
@pytest.mark.parametrize("processes", [None, 1, 2, 3, 16])
@pytest.mark.parametrize("threads", [None, 1, 2, 5, 64])
def test_processes_times_threads_never_exceed_the_cores(monkeypatch, cores, processes, threads):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    plan = plan_threads(threads, processes, cores=cores, busy=0.0)
    assert plan.processes >= 1 and plan.threads >= 1
    assert plan.processes * plan.threads <= cores


def test_the_default_leaves_the_busy_cores_to_the_work_that_keeps_them_busy(monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    assert default_threads(cores=2, busy=0.1) == 2
    assert default_threads(cores=2, busy=1.1) == 1
    assert default_threads(cores=2, busy=5.0) == 1  # never below one
    assert default_threads(cores=16, busy=3.8) == 12
    plan = plan_threads(None, None, cores=8, busy=4.0)
    assert (plan.threads, plan.processes, plan.source) == (1, 4, "free cores")


def test_an_explicit_thread_count_wins_over_the_environment(monkeypatch):
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert plan_threads(None, cores=4, busy=0.0).threads == 3
    assert plan_threads(None, cores=4, busy=0.0).source == "OMP_NUM_THREADS"
    assert plan_threads(2, cores=4, busy=0.0).threads == 2


@pytest.mark.parametrize("threads, processes, message", [
    (0, 1, "--threads must be at least 1, got 0"),
    (-3, 1, "--threads must be at least 1, got -3"),
    (2, 0, "--jobs must be at least 1, got 0"),
])
def test_counts_below_one_are_refused_with_the_option_named(threads, processes, message):
    with pytest.raises(ThreadsError, match=message):
        plan_threads(threads, processes, cores=2, busy=0.0, what="--jobs")


def test_more_threads_or_processes_than_cores_are_lowered_with_a_warning(caplog):
    with caplog.at_level(logging.WARNING, logger="polyvox.threads"):
        plan = plan_threads(8, 4, cores=2, busy=0.0, what="--jobs")
    assert (plan.threads, plan.processes) == (1, 2)
    messages = [record.getMessage() for record in caplog.records]
    assert "--threads 8 is more than the 2 core(s) this process may use; using 2" in messages
    assert any(message.startswith("--jobs 4 is more than the 2 thread(s) to share; using 2") for message in messages)


def test_a_cgroup_quota_caps_the_cores(tmp_path):
    (tmp_path / "cpu.max").write_text("150000 100000\n")
    assert quota_cores(tmp_path) == 1
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert quota_cores(tmp_path) is None
    version1 = tmp_path / "v1"
    (version1 / "cpu").mkdir(parents=True)
    (version1 / "cpu" / "cpu.cfs_quota_us").write_text("400000\n")
    (version1 / "cpu" / "cpu.cfs_period_us").write_text("100000\n")
    assert quota_cores(version1) == 4
    assert quota_cores(tmp_path / "none") is None
    assert thread_settings.available_cores(version1) == min(4, len(os.sched_getaffinity(0)))


def test_busy_cores_reads_the_kernel_counters_of_this_process_cpus():
    busy = busy_cores(sample_s=0.02)
    assert 0.0 <= busy <= len(os.sched_getaffinity(0))
    assert busy_cores(stat_path=Path("/no/such/stat")) == 0.0


def test_use_threads_sets_torch_and_the_environment_its_processes_inherit():
    plan = use_threads(1)
    assert torch.get_num_threads() == 1
    assert os.environ["OMP_NUM_THREADS"] == os.environ["MKL_NUM_THREADS"] == "1"
    assert os.environ["OMP_WAIT_POLICY"].upper() == "PASSIVE"
    assert plan.describe() == f"1 thread(s) (--threads) on {plan.cores} available core(s)"


def test_the_settings_are_in_the_environment_before_torch_loads():
    """OpenMP reads OMP_WAIT_POLICY once, when torch loads: the command line must not load torch before
    the plan is made, and a plan made first reaches a torch loaded after it."""
    script = (
        "import sys, os\n"
        "import polyvox.cli\n"
        "assert 'torch' not in sys.modules, 'polyvox.cli loads torch at import'\n"
        "from polyvox.threads import use_threads\n"
        "use_threads(1, torch_now=False)\n"
        "assert 'torch' not in sys.modules\n"
        "import torch\n"
        "print(torch.get_num_threads(), os.environ['OMP_WAIT_POLICY'])\n"
    )
    environment = {key: value for key, value in os.environ.items() if key not in VARIABLES}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=environment, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["1", "PASSIVE"]


def test_an_explicit_wait_policy_is_respected(monkeypatch):
    monkeypatch.setenv("OMP_WAIT_POLICY", "ACTIVE")
    use_threads(1)
    assert os.environ["OMP_WAIT_POLICY"] == "ACTIVE"


def test_voice_load_applies_threads(tmp_path):
    from polyvox.inference.voice import Voice
    from tiny_voices import make_tiny_voice

    path = make_tiny_voice(tmp_path / "tiny.safetensors", seed=0)
    wanted = min(2, thread_settings.available_cores())
    Voice.load(path, threads=wanted)
    assert torch.get_num_threads() == wanted
    with pytest.raises(ThreadsError, match="at least 1"):
        Voice.load(path, threads=0)


def test_an_unreadable_quota_is_no_quota(tmp_path):
    (tmp_path / "cpu.max").write_text("garbage\n")
    assert quota_cores(tmp_path) is None
