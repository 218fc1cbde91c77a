"""Training with one process against two on this machine (#23): steps/s and clips/s, measured in one run.

    python benchmarks/multiprocess_training.py [--preset small] [--steps 24] [--warmup 4]

A generated corpus (en and zh, 2 speakers x 24 clips each) is trained from scratch for --steps steps by
1 process and by 2 processes (Lightning's DDP over gloo), each with polyvox's default threads for that
many processes (polyvox.use_threads: the cores not busy with other work, split between the processes);
after --warmup steps, rank 0 times the rest. Two processes take two batches
a step, so clips/s is the figure to compare; on a 2-core machine expect little gain: the point of
several processes here is that they train one run correctly (tests/test_multiprocess_training.py).
Writes benchmarks/results/multiprocess_training.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def worker(manifest: str, run_dir: str, out: str, preset_name: str, steps: int, warmup: int, devices: int) -> None:
    """One training run (every rank runs this: Lightning starts rank 1 by running the same command)."""
    import lightning as L

    import polyvox
    from polyvox.config import preset
    from polyvox.train import trainer_setup
    from polyvox.train.run import train

    from polyvox.threads import plan_threads

    # As `polyvox train --devices N` divides the default threads (more processes than threads: one each).
    threads = polyvox.use_threads(plan_threads(None, devices, what="--devices", lower_processes=False).threads).threads
    original_fit = trainer_setup.fit

    class StepClock(L.Callback):
        def __init__(self) -> None:
            self.times: list[float] = []

        def on_train_batch_end(self, trainer: Any, module: Any, outputs: Any, batch: Any, batch_index: int) -> None:
            self.times.append(time.perf_counter())

    def fit(loop: Any, module: Any, resume_from: Any) -> None:
        clock = StepClock()
        loop.trainer.callbacks.append(clock)
        original_fit(loop, module, resume_from)
        if loop.trainer.global_rank == 0:
            timed = clock.times[warmup:]
            seconds = timed[-1] - timed[0]
            steps_per_s = (len(timed) - 1) / seconds
            batch_size = module.config.training.batch_size
            Path(out).write_text(json.dumps({
                "processes": loop.trainer.world_size, "threads_per_process": threads, "timed_steps": len(timed) - 1,
                "steps_per_s": round(steps_per_s, 3), "clips_per_s": round(steps_per_s * batch_size * loop.trainer.world_size, 2),
            }))

    trainer_setup.fit = fit
    languages = ("en", "zh")
    config = preset(preset_name, languages, n_speakers=4).replace(**{"training.max_steps": steps})
    train(manifest, run_dir, config, devices=devices, progress=False, validation_per_language=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", default="small")
    parser.add_argument("--steps", type=int, default=24)
    parser.add_argument("--warmup", type=int, default=4)
    parser.add_argument("--worker", nargs=5, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.worker:
        manifest, run_dir, out, preset_name, devices = arguments.worker
        worker(manifest, run_dir, out, preset_name, arguments.steps, arguments.warmup, int(devices))
        return
    from polyvox.data.corpus.generator import generate_corpus
    from polyvox.threads import available_cores

    cores = available_cores()
    runs = []
    with tempfile.TemporaryDirectory() as temporary:
        corpus = Path(temporary) / "corpus"
        generate_corpus(corpus, ["en", "zh"], 2, 24, sample_rate=22050, seed=11, progress=False)
        for devices in (1, 2):
            out = Path(temporary) / f"result_{devices}.json"
            command = [sys.executable, __file__, "--steps", str(arguments.steps), "--warmup", str(arguments.warmup), "--worker",
                       str(corpus / "manifest.jsonl"), str(Path(temporary) / f"run_{devices}"), str(out), arguments.preset,
                       str(devices)]
            environment = {name: value for name, value in os.environ.items() if name not in ("RANK", "LOCAL_RANK", "NODE_RANK")}
            subprocess.run(command, check=True, env=environment, stdout=subprocess.DEVNULL)
            runs.append(json.loads(out.read_text()))
            print(f"{devices} process(es) x {runs[-1]['threads_per_process']} thread(s): {runs[-1]['steps_per_s']:.3f} steps/s, "
                  f"{runs[-1]['clips_per_s']:.2f} clips/s", flush=True)
    ratio = runs[1]["clips_per_s"] / runs[0]["clips_per_s"]
    print(f"2 processes / 1 process, clips/s: {ratio:.2f}x")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "multiprocess_training.json").write_text(json.dumps({
        "preset": arguments.preset, "cores": cores, "runs": runs, "clips_per_s_ratio_2_over_1": round(ratio, 3),
        "platform": platform.platform(), "note": "timed after warm-up steps, on this machine as it was (other work may share it)",
    }, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
