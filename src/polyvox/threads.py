"""How many CPU threads polyvox computes with: the default is decided, and applied, here alone.

torch's own default (one OpenMP thread per core, spinning while it waits for its partners) collapses
when the cores are shared: a thread that other work has pushed off its core leaves the others
spinning on the cores it needs. Measured on a 2-core machine running other jobs (issue #19):
tiny-preset training 0.08 steps/s against 1.02 on one thread; `say` of one sentence 9.0 to 9.6
CPU-seconds, 3.2 with the settings below (benchmarks/say_startup.py). polyvox's default
(``python benchmarks/threads.py`` compares it with one thread):

* threads: the cores this process may run on (CPU affinity, and a cgroup CPU quota where one is set)
  less those other work keeps busy (measured over 0.1 s at start), divided among the processes or
  concurrent syntheses of a command, never multiplied;
* OMP_WAIT_POLICY=PASSIVE: a waiting thread sleeps instead of spinning. OpenMP reads it once, when
  torch is first imported, so the environment is set before that (``use_threads`` says when it is late);
* one inter-op thread: polyvox runs no inter-op parallel work, so a larger pool only holds idle threads.

An explicit ``OMP_NUM_THREADS`` or ``OMP_WAIT_POLICY`` in the environment is respected. Training
measures its default against one thread on its own steps and keeps the faster (train/thread_tuning.py).
"""

from __future__ import annotations

import logging
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from polyvox.errors import PolyvoxError

logger = logging.getLogger(__name__)

# Set before OpenMP (torch) or a BLAS (numpy) starts: each reads its variable once, when loaded.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")
WAIT_POLICY_VARIABLE = "OMP_WAIT_POLICY"
PASSIVE = "PASSIVE"
# Where a container's CPU quota is read: cgroup v2, then v1 (both as mounted inside the container).
CGROUP_ROOT = Path("/sys/fs/cgroup")
# How long the other work on the cores is watched before the default is chosen (sleeping: no CPU time).
BUSY_SAMPLE_S = 0.1
# ThreadPlan.source when the count is polyvox's own choice (training then measures it: train/thread_tuning.py).
FREE_CORES = "free cores"


class ThreadsError(PolyvoxError, ValueError):
    """A thread or process count that cannot be used; the message says what to give instead."""


@dataclass(frozen=True)
class ThreadPlan:
    """What a command runs with: ``processes`` (or concurrent syntheses) of ``threads`` each."""

    threads: int  # torch intra-op threads of each process or synthesis
    processes: int
    cores: int  # cores available to this process
    source: str  # where the thread count came from: "--threads", "OMP_NUM_THREADS" or "free cores"

    def describe(self) -> str:
        each = f"{self.processes} x {self.threads}" if self.processes > 1 else str(self.threads)
        return f"{each} thread(s) ({self.source}) on {self.cores} available core(s)"


def quota_cores(cgroup_root: Path = CGROUP_ROOT) -> int | None:
    """Whole cores a cgroup CPU quota allows (at least 1), or None where no quota is set."""
    candidates = (
        (cgroup_root / "cpu.max", None),
        (cgroup_root / "cpu" / "cpu.cfs_quota_us", cgroup_root / "cpu" / "cpu.cfs_period_us"),
        (cgroup_root / "cpu,cpuacct" / "cpu.cfs_quota_us", cgroup_root / "cpu,cpuacct" / "cpu.cfs_period_us"),
    )
    for quota_file, period_file in candidates:
        try:
            if period_file is None:
                quota, _, period = quota_file.read_text().strip().partition(" ")
            else:
                quota, period = quota_file.read_text().strip(), period_file.read_text().strip()
        except OSError:
            continue
        if quota in ("max", "-1") or not quota.isdigit() or not period.isdigit() or int(period) == 0:
            return None
        return max(1, math.floor(int(quota) / int(period)))
    return None


def available_cores(cgroup_root: Path = CGROUP_ROOT) -> int:
    """Cores this process may run on: its CPU affinity, capped by a cgroup quota."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # no affinity call on this platform (macOS, Windows)
        cores = os.cpu_count() or 1
    quota = quota_cores(cgroup_root)
    return max(1, min(cores, quota) if quota is not None else cores)


def busy_cores(sample_s: float = BUSY_SAMPLE_S, stat_path: Path = Path("/proc/stat")) -> float:
    """Cores of this process's affinity set that other work kept busy over ``sample_s`` (0.0 where unknown)."""
    try:
        cpus = os.sched_getaffinity(0)
        before = _cpu_ticks(stat_path, cpus)
        time.sleep(sample_s)
        after = _cpu_ticks(stat_path, cpus)
    except (AttributeError, OSError, ValueError):  # no /proc (macOS, Windows) or an unexpected layout
        return 0.0
    total = after[1] - before[1]
    return len(cpus) * (total - (after[0] - before[0])) / total if total > 0 else 0.0


def _cpu_ticks(stat_path: Path, cpus: set[int]) -> tuple[int, int]:
    """Idle (idle + iowait) and total ticks of ``cpus``, from the kernel's per-CPU lines of /proc/stat."""
    idle = total = 0
    for line in stat_path.read_text().splitlines():
        name, *values = line.split()
        if name.startswith("cpu") and name[3:].isdigit() and int(name[3:]) in cpus:
            ticks = [int(value) for value in values[:8]]  # user nice system idle iowait irq softirq steal
            idle += ticks[3] + ticks[4]
            total += sum(ticks)
    return idle, total


def default_threads(cores: int, busy: float) -> int:
    """The cores not kept busy by other work, at least one: threads beyond them wait for a core."""
    return max(1, min(cores, round(cores - busy)))


def plan_threads(
    threads: int | None = None, processes: int | None = 1, cores: int | None = None, busy: float | None = None,
    what: str = "processes", lower_processes: bool = True,
) -> ThreadPlan:
    """Divide ``threads`` among ``processes`` (None: one process per thread).

    ``threads`` defaults to ``OMP_NUM_THREADS`` where set, else ``default_threads``. Thread and process
    counts above the cores are lowered to them, with a warning: more threads than cores only wait for
    each other. ``what`` names the process count's option in messages (e.g. "--jobs");
    ``lower_processes=False`` keeps a count the command cannot change (training's --devices), one thread each.
    """
    cores = available_cores() if cores is None else cores
    if threads is not None and threads < 1:
        raise ThreadsError(f"--threads must be at least 1, got {threads}")
    if processes is not None and processes < 1:
        raise ThreadsError(f"{what} must be at least 1, got {processes}")
    budget, source = (threads, "--threads") if threads is not None else (_environment_threads(), "OMP_NUM_THREADS")
    if budget is None:
        budget, source = default_threads(cores, busy_cores() if busy is None else busy), FREE_CORES
    if budget > cores:
        logger.warning("%s %d is more than the %d core(s) this process may use; using %d", source, budget, cores, cores)
        budget = cores
    if processes is None:
        processes = budget
    if processes > budget and not lower_processes:
        return ThreadPlan(threads=1, processes=processes, cores=cores, source=source)
    if processes > budget:
        logger.warning(
            "%s %d is more than the %d thread(s) to share; using %d (give --threads to change it)", what, processes, budget, budget
        )
        processes = budget
    return ThreadPlan(threads=budget // processes, processes=processes, cores=cores, source=source)


def _environment_threads() -> int | None:
    value = os.environ.get("OMP_NUM_THREADS", "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else None


def prepare_environment(threads_per_process: int) -> None:
    """Set the thread variables for this process and every process it starts, before their OpenMP starts."""
    for variable in THREAD_VARIABLES:
        os.environ[variable] = str(threads_per_process)
    os.environ.setdefault(WAIT_POLICY_VARIABLE, PASSIVE)


def use_threads(
    threads: int | None = None, processes: int | None = 1, what: str = "processes", torch_now: bool = True,
    lower_processes: bool = True,
) -> ThreadPlan:
    """Compute with ``threads`` CPU threads (default: polyvox's, see the module) from now on, shared by
    ``processes``; process-wide, and inherited by the processes this one starts. Call it before ``import
    torch`` for the wait policy to take effect. ``torch_now=False`` leaves torch unimported (an onnxruntime
    engine needs none): torch then reads the thread count from the environment if it is loaded later."""
    plan = plan_threads(threads, processes, what=what, lower_processes=lower_processes)
    spinning = "torch" in sys.modules and os.environ.get(WAIT_POLICY_VARIABLE, "").upper() != PASSIVE
    prepare_environment(plan.threads)
    if spinning and plan.threads > 1:
        logger.info("torch was imported before the thread settings, so its waiting threads spin; "
                    "set OMP_WAIT_POLICY=PASSIVE before importing torch if the cores are shared")
    if torch_now or "torch" in sys.modules:
        apply_torch_threads(plan.threads)
    logger.info("computing with %s", plan.describe())
    global _APPLIED
    _APPLIED = plan
    return plan


_APPLIED: ThreadPlan | None = None


def applied_plan() -> ThreadPlan | None:
    """The plan ``use_threads`` applied last in this process (None: it was not called)."""
    return _APPLIED


def apply_torch_threads(threads: int) -> None:
    """torch's intra-op threads, and one inter-op thread where torch still allows setting it."""
    import torch

    torch.set_num_threads(threads)
    if torch.get_num_interop_threads() != 1:
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:  # allowed only before the first inter-op work; the pool then stays as it is
            logger.debug("torch's inter-op threads were already in use; left at %d", torch.get_num_interop_threads())
