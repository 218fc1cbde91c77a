"""``polyvox say --batch`` on two cores: two processes of one thread each, against one process.

Speaks the same lines (English corpus-grammar sentences) into fresh folders three ways: ``--jobs 2``
(this process and one worker process, one torch thread each; the worker's start-up included), one
process with two threads, and one process with one thread. Prints wall times and ratios against one
thread and writes JSON to benchmarks/results/batch_synthesis.json.

    python benchmarks/batch_synthesis.py              # 40 lines
    python benchmarks/batch_synthesis.py --lines 12   # quicker
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from functools import partial
from pathlib import Path

import torch

from polyvox.cli_support import DEFAULT_VOICE
from polyvox.data.corpus.sentences import SentenceGenerator, grammar_for
from polyvox.files import atomic_path
from polyvox.inference.batch import SpeechSettings, run_batch
from polyvox.inference.batch_items import read_batch_items
from polyvox.inference.voice import Voice

RESULTS = Path(__file__).parent / "results" / "batch_synthesis.json"


def timed_run(lines: Path, folder: Path, jobs: int, threads: int) -> float:
    torch.set_num_threads(threads)
    start = time.perf_counter()
    report = run_batch(read_batch_items(lines), folder, partial(Voice.load, DEFAULT_VOICE), SpeechSettings(language="en", seed=0),
                       jobs=jobs, progress=False)
    elapsed = time.perf_counter() - start
    if report.failures or report.skipped:
        raise RuntimeError(f"benchmark run did not speak every line: {report}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=40)
    parser.add_argument("--skip-two-threads", action="store_true", help="leave out one process x 2 threads (slow on a busy machine)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        lines = Path(work) / "lines.txt"
        lines.write_text("\n".join(SentenceGenerator(grammar_for("en"), seed=11).sentences(args.lines)) + "\n", encoding="utf-8")
        Voice.load(DEFAULT_VOICE).synthesize("Hello.", language="en")  # warm-up: espeak-ng, torch's first calls
        load_before = os.getloadavg()[0]
        setups = {"jobs 2 (2 x 1 thread)": (2, 1), "1 process x 2 threads": (1, 2), "1 process x 1 thread": (1, 1)}
        if args.skip_two_threads:
            del setups["1 process x 2 threads"]
        seconds = {name: timed_run(lines, Path(work) / f"out{index}", jobs, threads) for index, (name, (jobs, threads)) in enumerate(setups.items())}
        load_after = os.getloadavg()[0]
    baseline = seconds["1 process x 1 thread"]
    print(f"{args.lines} lines, {DEFAULT_VOICE.name}, {os.cpu_count()} CPUs; load average {load_before:.1f} -> {load_after:.1f}")
    for name, elapsed in seconds.items():
        print(f"{name:<24}{elapsed:>8.2f} s   speed-up over one thread: {baseline / elapsed:.2f}x")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(RESULTS) as temporary:
        temporary.write_text(json.dumps({
            "lines": args.lines, "cpu_count": os.cpu_count(), "load_average_before_after": [load_before, load_after],
            "seconds": seconds, "speedup_over_one_thread": {name: baseline / elapsed for name, elapsed in seconds.items()},
        }, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
