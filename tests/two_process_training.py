"""Run by tests/test_multiprocess_training.py, not by pytest: trains a tiny voice with DEVICES CPU processes
(Lightning starts the others by running this file again), makes rank 1's batch non-finite at BAD_STEP,
and has each rank write its final parameters and counters to OUT/rank<N>.pt.

    python tests/two_process_training.py MANIFEST RUN_DIR OUT BAD_STEP MAX_STEPS DEVICES [--resume] [--nodes N] [--strategy S]

With --nodes N, run once per "machine" with NODE_RANK, MASTER_ADDR and MASTER_PORT set, as on N machines.
With --strategy fsdp each rank writes the whole parameters, gathered from every rank's shards.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import Any

import torch

from polyvox.config import preset
from polyvox.train import trainer_setup
from polyvox.train.module import VitsTrainingModule
from polyvox.train.run import train


def main() -> None:
    manifest, run_dir, out, bad_step, max_steps, devices = sys.argv[1:7]
    torch.set_num_threads(1)
    original_step, original_fit = VitsTrainingModule.training_step, trainer_setup.fit

    def training_step(self: VitsTrainingModule, batch: Any, batch_index: int) -> None:
        if self.global_rank == 1 and self.steps_done == int(bad_step):
            batch = dataclasses.replace(batch, mel=batch.mel * float("nan"))
        return original_step(self, batch, batch_index)

    def fit(loop: Any, module: Any, resume_from: Any) -> None:
        original_fit(loop, module, resume_from)
        state = {"generator": _whole(module.generator), "skipped": module.skipped_generator_steps,
                 "steps": module.steps_done, "world_size": loop.trainer.world_size, "stream_position": module.stream_position}
        torch.save(state, Path(out) / f"rank{loop.trainer.global_rank}.pt")

    VitsTrainingModule.training_step, trainer_setup.fit = training_step, fit
    config = preset("tiny", ("en", "zh"), n_speakers=2).replace(**{"training.max_steps": int(max_steps)})
    nodes = int(sys.argv[sys.argv.index("--nodes") + 1]) if "--nodes" in sys.argv else 1
    strategy = sys.argv[sys.argv.index("--strategy") + 1] if "--strategy" in sys.argv else None
    train(manifest, run_dir, config, resume="--resume" in sys.argv, devices=int(devices), progress=False,
          validation_per_language=0, nodes=nodes, strategy=strategy)


def _whole(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    """The module's parameters and buffers, whole on every rank (gathered from the shards under fsdp)."""
    from polyvox.train.sharding import is_sharded

    if not is_sharded(module):
        return module.state_dict()
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

    return get_model_state_dict(module, options=StateDictOptions(full_state_dict=True))


if __name__ == "__main__":
    main()
