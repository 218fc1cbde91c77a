"""Which process of a multi-process run this is: rank 0 owns the run folder, the other ranks follow it.

Lightning's own launcher starts the other ranks by running the same command again with LOCAL_RANK and
NODE_RANK set; torchrun sets RANK; SLURM sets SLURM_PROCID. Rank 0 locks the folder, checks that
starting loses nothing, prepares the data (tables, feature cache, report) and then writes a marker
naming this launch; a follower never writes to the folder: it waits for that marker and reads what
rank 0 prepared.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from pathlib import Path

from polyvox.errors import TrainingSetupError

logger = logging.getLogger(__name__)

READY_FILE = ".data_ready"
TOKEN_VARIABLE = "POLYVOX_RUN_TOKEN"
FOLLOWER_WAIT_S = 3600.0
STILL_WAITING_S = 60.0
_POLL_S = 0.5


def _rank_from(name: str) -> int:
    value = os.environ.get(name, "0")
    try:
        return int(value)
    except ValueError:
        raise TrainingSetupError(f"the environment variable {name}={value!r} is not a process rank (a whole number)") from None


def is_follower() -> bool:
    """True in every process of a multi-process run but the one of global rank 0."""
    if "RANK" in os.environ:
        return _rank_from("RANK") != 0
    if int(os.environ.get("SLURM_NTASKS", "1") or 1) > 1 and _rank_from("SLURM_PROCID") != 0:
        return True
    return _rank_from("LOCAL_RANK") != 0 or _rank_from("NODE_RANK") != 0


def launched_outside() -> bool:
    """True when torchrun or srun started this process and its siblings; False when Lightning starts the other ranks
    by running the command again from this one (they inherit its environment)."""
    from lightning.fabric.plugins.environments import SLURMEnvironment

    return "TORCHELASTIC_RUN_ID" in os.environ or SLURMEnvironment.detect()


HAND_LAUNCH_HINT = (
    f"put the same {TOKEN_VARIABLE} in front of the command on every machine (e.g. {TOKEN_VARIABLE}=voice-run-7, a new "
    "value for each launch), so their processes know they are one launch; or launch with `torchrun --rdzv-id JOB` "
    "or SLURM, which name the launch themselves"
)


def _given_token() -> str | None:
    """The launch's name where a launcher (or the user) gave one: polyvox's own variable, torchrun's run id, SLURM's job."""
    for name in (TOKEN_VARIABLE, "TORCHELASTIC_RUN_ID"):
        if os.environ.get(name) and os.environ[name] != "none":
            return os.environ[name]
    if "SLURM_JOB_ID" in os.environ:
        # A requeued job keeps its id and numbers its steps from 0 again; SLURM counts the restarts.
        step, restarts = os.environ.get("SLURM_STEP_ID", "0"), os.environ.get("SLURM_RESTART_COUNT", "0")
        return f"slurm-{os.environ['SLURM_JOB_ID']}-{step}-{restarts}"
    return None


def require_launch_name(nodes: int) -> None:
    """Several machines started by hand (Lightning's launch: the same command on each) share no environment, so
    rank 0's made-up name cannot reach the other machines: without a given one, every machine stops at once
    (rank 0 would otherwise wait for the others in the process group for half an hour)."""
    if nodes > 1 and _given_token() is None:
        raise TrainingSetupError(f"--nodes {nodes} started by hand: {HAND_LAUNCH_HINT}")


def require_slurm_tasks_match(devices: int | str, nodes: int) -> None:
    """Under ``srun`` (as Lightning detects it: SLURM_NTASKS set, the job not named bash or interactive) SLURM
    starts the processes, and Lightning refuses ``--devices`` and ``--nodes`` other than SLURM's tasks per node and
    nodes, but only once the Trainer is built, after rank 0 has prepared the data, and with a traceback in its own
    terms: refuse here first, in one line. ``--devices auto`` is left to Lightning (on GPUs: the ones visible)."""
    from lightning.fabric.plugins.environments import SLURMEnvironment

    if not SLURMEnvironment.detect():
        return
    tasks, per_node, machines = (os.environ.get(name) for name in ("SLURM_NTASKS", "SLURM_NTASKS_PER_NODE", "SLURM_NNODES"))
    if per_node is None:
        if int(tasks or 1) > 1:
            raise TrainingSetupError(
                f"srun started {tasks} SLURM tasks without --ntasks-per-node, which Lightning needs: ask for them with "
                "`#SBATCH --nodes M --ntasks-per-node N` (N processes on each of M machines) instead of --ntasks"
            )
        return
    wanted = []
    if str(devices).isdigit() and int(devices) != int(per_node):
        wanted.append(f"--devices {per_node}")
    if machines is not None and int(machines) != nodes:
        wanted.append(f"--nodes {machines}")
    if wanted:
        raise TrainingSetupError(
            f"SLURM runs {per_node} task(s) on each of {machines or 1} node(s) (--ntasks-per-node, --nodes) but polyvox was "
            f"given --devices {devices} --nodes {nodes}: give {' '.join(wanted)} (one process per task; or set training.devices "
            "and training.nodes in the config)"
        )


def launch_token() -> str:
    """One name shared by every process of this launch: a given one (``_given_token``), or one rank 0 makes up
    and hands to the processes Lightning starts on its machine (they inherit its environment)."""
    given = _given_token()
    if given is not None:
        return given
    if is_follower():
        raise TrainingSetupError(
            "this process is a follower rank of a multi-process run but shares no run id with rank 0; "
            f"launch with Lightning (--devices N) or, on several machines, {HAND_LAUNCH_HINT}"
        )
    os.environ[TOKEN_VARIABLE] = uuid.uuid4().hex
    return os.environ[TOKEN_VARIABLE]


def clear_ready(run_dir: Path) -> None:
    """Rank 0, before preparing: a marker left by an earlier launch must not release this launch's followers."""
    (run_dir / READY_FILE).unlink(missing_ok=True)


def mark_ready(run_dir: Path) -> None:
    """Rank 0, once the data is prepared: the followers of this launch may read it."""
    (run_dir / READY_FILE).write_text(launch_token() + "\n", encoding="utf-8")


def wait_until_ready(run_dir: Path, timeout_s: float = FOLLOWER_WAIT_S) -> None:
    """A follower: wait for rank 0 of the same launch to have prepared ``run_dir``."""
    token, marker = launch_token(), run_dir / READY_FILE
    started = time.monotonic()
    announced, warned = False, False
    while not (marker.is_file() and marker.read_text(encoding="utf-8").strip() == token):
        waited = time.monotonic() - started
        if waited > timeout_s:
            raise TrainingSetupError(
                f"rank 0 did not prepare {run_dir} within {timeout_s:.0f} s; check rank 0's output (it may have stopped with an error)"
            )
        if not announced:
            logger.info("waiting for rank 0 to prepare %s", run_dir)
            announced = True
        if not warned and waited > STILL_WAITING_S:
            # A follower only because a launcher's variable leaked into a plain shell would wait an hour.
            logger.warning(
                "still waiting for rank 0 to prepare %s: this process is a follower rank (%s); if no multi-process "
                "launch is running, unset those variables and run again", run_dir, _rank_variables(),
            )
            warned = True
        time.sleep(_POLL_S)


def _rank_variables() -> str:
    return ", ".join(f"{name}={os.environ[name]}" for name in ("RANK", "LOCAL_RANK", "NODE_RANK", "SLURM_PROCID") if name in os.environ)
