"""polyvox's default thread settings against one thread, on an idle machine and beside a CPU-bound process.

Two workloads, as a user runs them: tiny-preset training (``polyvox train --preset tiny``'s code path:
Lightning, checkpoints every 10 steps; steps per second after a warm-up past the thread trial) and streaming the bundled
voice (``say --stream``: real-time factor, synthesis seconds per audio second, median of a few runs).
Each measurement runs in a fresh process, because OpenMP reads its settings once, when torch loads:

* default: ``polyvox.threads.use_threads()``, what every command applies (threads = available cores,
  OMP_WAIT_POLICY=PASSIVE, one inter-op thread);
* one: ``use_threads(1)``;
* all-cores: ``use_threads(available_cores())``, what the default picks on an idle machine, here also
  measured beside the CPU-bound process: a long run keeps the threads it started with when load comes;
* torch (with --torch-default only, it is slow under load): nothing set, torch's own default.

On a machine that other work keeps busy, the default picks one thread in both conditions, the same
setting as "one": the ratio then shows how much the machine's other work moves the figures.

"loaded" starts --hogs CPU-bound processes (a Python busy loop each) beside the measured one; "idle"
starts none, but other work on a shared machine is not stopped. Conditions and settings take turns
for --rounds rounds, and each figure is the median over the rounds. Prints the figures and the
ratios default / one side by side and writes benchmarks/results/threads.json.

    python benchmarks/threads.py                        # 3 rounds of 150 timed steps
    python benchmarks/threads.py --rounds 1 --steps 8   # quicker
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
WORK = RESULTS / "threads"
CONDITIONS = ("idle", "loaded")
# Steps before the clock starts: past training's thread trial (train/thread_tuning.py: 2 settling + 12 trial steps),
# so the figures are what a run of thousands of steps sees; every setting waits as long.
WARMUP_STEPS = 15
STREAM_RUNS = 3
# About 20 s of speech, as in the measurement (19.5 s).
STREAM_TEXT = (
    "The old lighthouse keeper climbed the steps every evening, counting each one aloud. "
    "From the top he could see the fishing boats coming home with lanterns swinging on the dark water. "
    "Some nights the fog rolled in so thickly that he rang the bell until morning, hour after hour. "
    "He never complained, because he knew that a sailor on the sea was listening for it, and hoping to hear it."
)
HOG = "while True: pass"


def apply(setting: str) -> None:
    """The thread setting under test, before torch is imported."""
    from polyvox.threads import available_cores, use_threads

    if setting == "default":
        use_threads()
    elif setting == "one":
        use_threads(1)
    elif setting == "all-cores":
        use_threads(available_cores())
    elif setting != "torch":
        raise SystemExit(f"unknown setting {setting!r}")


def measure_training(manifest: Path, run_dir: Path, steps: int) -> dict[str, Any]:
    """Steps per second of ``polyvox train --preset tiny`` after WARMUP_STEPS, timed at each step's end."""
    import lightning as L

    import polyvox.train.run as run_module
    from polyvox.config_files import load_config

    ends: list[float] = []

    class StepClock(L.Callback):
        def on_train_batch_end(self, *args: Any, **kwargs: Any) -> None:
            ends.append(time.perf_counter())

    # The benchmark's clock rides along with the run's own callbacks (the command has no hook for it).
    own_callbacks = run_module.language_validation_callbacks
    run_module.language_validation_callbacks = lambda *args, **kwargs: [*own_callbacks(*args, **kwargs), StepClock()]
    config = load_config(None, "tiny", [], WARMUP_STEPS + steps)
    run_module.train(manifest, run_dir, config, progress=False, overwrite=True, validate_every_steps=10**9)
    timed = ends[WARMUP_STEPS - 1 :]
    return {"steps_per_s": (len(timed) - 1) / (timed[-1] - timed[0]), "steps": len(timed) - 1}


def measure_streaming() -> dict[str, Any]:
    """Real-time factor of streaming STREAM_TEXT with the bundled voice: median of STREAM_RUNS after a warm-up."""
    from polyvox.cli_support import DEFAULT_VOICE
    from polyvox.inference.voice import Voice

    voice = Voice.load(DEFAULT_VOICE)
    voice.synthesize("A warm-up sentence.", language="en", seed=0)
    factors, audio_s = [], 0.0
    for _ in range(STREAM_RUNS):
        started = time.perf_counter()
        samples = sum(chunk.size for chunk in voice.stream(STREAM_TEXT, language="en", seed=0))
        audio_s = samples / voice.sample_rate
        factors.append((time.perf_counter() - started) / audio_s)
    return {"rtf": statistics.median(factors), "audio_s": audio_s}


def worker(setting: str, workload: str, steps: int, run_dir: Path) -> None:
    apply(setting)
    import torch

    if workload == "train":
        figures = measure_training(WORK / "corpus" / "manifest.jsonl", run_dir, steps)
    else:
        figures = measure_streaming()
    figures.update(threads=torch.get_num_threads(), interop=torch.get_num_interop_threads(),
                   wait_policy=os.environ.get("OMP_WAIT_POLICY", "unset"))
    print("RESULT " + json.dumps(figures), flush=True)


def run_worker(setting: str, workload: str, steps: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--worker", setting, workload, "--steps", str(steps)]
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("OMP_", "MKL_", "OPENBLAS_"))}
    done = subprocess.run(command, capture_output=True, text=True, env=environment, check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
    if done.returncode != 0 or not lines:
        raise SystemExit(f"{setting} {workload} failed:\n{done.stderr[-3000:]}")
    return json.loads(lines[-1].removeprefix("RESULT "))


def ensure_corpus() -> None:
    if not (WORK / "corpus" / "manifest.jsonl").exists():
        from polyvox.data.corpus import generate_corpus

        generate_corpus(WORK / "corpus", ["en"], 2, 12, sample_rate=22050, seed=5, progress=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    # 30 steps (4 s) left the same setting 10 % apart from run to run; 150 take about 20 s.
    parser.add_argument("--steps", type=int, default=150, help="timed training steps per run")
    parser.add_argument("--hogs", type=int, default=1, help="CPU-bound processes beside the measured one when loaded")
    parser.add_argument("--torch-default", action="store_true", help="also measure torch's own default (slow under load)")
    parser.add_argument("--worker", nargs=2, metavar=("SETTING", "WORKLOAD"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        worker(*args.worker, args.steps, WORK / f"run-{os.getpid()}")
        return

    from polyvox.threads import available_cores

    ensure_corpus()
    settings = ("default", "one", "all-cores", *(("torch",) if args.torch_default else ()))
    figures: dict[str, dict[str, dict[str, list[dict[str, Any]]]]] = {}
    for round_index in range(args.rounds):
        for condition in CONDITIONS:
            hogs = [subprocess.Popen([sys.executable, "-c", HOG]) for _ in range(args.hogs if condition == "loaded" else 0)]
            try:
                for workload in ("train", "stream"):
                    # The first run after a switch came out slower in every round (the same setting measured 10-15 %
                    # apart by position alone): the order turns round by round so each setting goes first as often.
                    shift = round_index % len(settings)
                    for setting in (*settings[shift:], *settings[:shift]):
                        result = run_worker(setting, workload, args.steps)
                        figures.setdefault(condition, {}).setdefault(workload, {}).setdefault(setting, []).append(result)
                        print(f"round {round_index + 1} {condition:6} {workload:6} {setting:7} {json.dumps(result)}", flush=True)
            finally:
                for hog in hogs:
                    hog.kill()
                    hog.wait()

    summary = summarise(figures, settings)
    print_summary(summary, settings)
    load = os.getloadavg()
    report = {
        "machine": {"cores_available": available_cores(), "cpu_count": os.cpu_count(), "platform": platform.platform(),
                    "load_average_at_end": load, "shared": "other jobs may run beside it; 'idle' starts no load of its own"},
        "rounds": args.rounds, "timed_steps": args.steps, "hogs": args.hogs, "summary": summary, "runs": figures,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "threads.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {RESULTS / 'threads.json'}")


def summarise(figures: dict[str, Any], settings: tuple[str, ...]) -> dict[str, Any]:
    """Median per (condition, workload, setting), and default / one as a speed ratio (> 1: the default is faster)."""
    summary: dict[str, Any] = {}
    for condition, workloads in figures.items():
        for workload, by_setting in workloads.items():
            key = "steps_per_s" if workload == "train" else "rtf"
            medians = {setting: statistics.median(run[key] for run in by_setting[setting]) for setting in settings}
            ratio = medians["default"] / medians["one"] if workload == "train" else medians["one"] / medians["default"]
            chosen = sorted({run["threads"] for run in by_setting["default"]})
            # Each round's own ratio (its runs of both settings were neighbours in time): the spread says how far
            # the machine's other work moves the figure, which a median ratio alone hides.
            rounds = [
                (default[key] / one[key]) if workload == "train" else (one[key] / default[key])
                for default, one in zip(by_setting["default"], by_setting["one"])
            ]
            summary.setdefault(condition, {})[workload] = {
                "figure": key, **medians, "speed_default_over_one": ratio,
                "per_round_default_over_one": [round(value, 3) for value in rounds], "default_threads": chosen,
            }
    return summary


def print_summary(summary: dict[str, Any], settings: tuple[str, ...]) -> None:
    print(f"\n{'':22}" + "".join(f"{setting:>10}" for setting in settings) + "   default/one (speed)   default's threads")
    for condition in CONDITIONS:
        for workload, row in summary.get(condition, {}).items():
            name = f"{condition} {workload} ({'steps/s' if workload == 'train' else 'RTF'})"
            chosen = ", ".join(str(count) for count in row["default_threads"])
            print(f"{name:22}" + "".join(f"{row[setting]:10.3f}" for setting in settings)
                  + f"   {row['speed_default_over_one']:.2f}x{'':17}{chosen}"
                  + f"   (rounds: {', '.join(f'{value:.2f}' for value in row['per_round_default_over_one'])})")
    if all(row["default_threads"] == [1] for workloads in summary.values() for row in workloads.values()):
        print("The default chose one thread in every run (other work kept the cores busy), the setting of 'one': "
              "the ratios show how much that work moved the figures.")


if __name__ == "__main__":
    main()
