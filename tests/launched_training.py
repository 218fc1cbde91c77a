"""Run by tests/test_cluster_launchers.py, not by pytest: one process of a run whose processes a launcher (srun,
torchrun) starts itself. It trains as tests/two_process_training.py does (the same arguments and OUT/rank<N>.pt)
and adds OUT/ranks<N>.json: the ranks and cluster environment Lightning gave this process and the files it wrote.

    python tests/launched_training.py MANIFEST RUN_DIR OUT BAD_STEP MAX_STEPS DEVICES [--resume] [--nodes N]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from lightning.fabric.plugins.io.torch_io import TorchCheckpointIO

import two_process_training
from polyvox.train import callbacks, trainer_setup


def main() -> None:
    out, written = Path(sys.argv[3]), []
    original_fit, original_voice, original_checkpoint = trainer_setup.fit, callbacks.save_voice, TorchCheckpointIO.save_checkpoint

    def save_voice(path: Path, *args: Any, **kwargs: Any) -> Path:
        written.append(Path(path).name)
        return original_voice(path, *args, **kwargs)

    def save_checkpoint(self: TorchCheckpointIO, checkpoint: Any, path: Any, *args: Any, **kwargs: Any) -> None:
        written.append(Path(path).name)
        original_checkpoint(self, checkpoint, path, *args, **kwargs)

    def fit(loop: Any, module: Any, resume_from: Any) -> None:
        original_fit(loop, module, resume_from)
        trainer = loop.trainer
        record = {"global_rank": trainer.global_rank, "local_rank": trainer.local_rank, "node_rank": trainer.node_rank,
                  "world_size": trainer.world_size, "environment": type(trainer.strategy.cluster_environment).__name__,
                  "wrote": written}
        (out / f"ranks{trainer.global_rank}.json").write_text(json.dumps(record), encoding="utf-8")

    callbacks.save_voice, TorchCheckpointIO.save_checkpoint, trainer_setup.fit = save_voice, save_checkpoint, fit
    two_process_training.main()  # wraps trainer_setup.fit again: its rank<N>.pt is written after ranks<N>.json


if __name__ == "__main__":
    main()
