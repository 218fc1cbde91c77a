"""CPU time of ``polyvox say`` for one sentence, from the command line, and where it goes (issue #19 item 9).

Three measurements, each in fresh processes:

* the command as a user runs it: ``polyvox say SENTENCE -o out.wav`` (CPU seconds, user + system, of
  the whole process; median of --runs), with the torch engine and, when --onnx names an exported
  voice, the onnxruntime one;
* ``say --stream``: seconds from starting the command to its first audio bytes;
* the phases of the same work in one process (CPU seconds each): Python and the command line's
  modules, torch, polyvox's synthesis modules, loading the voice, the first sentence (which
  starts the phonemizer and espeak-ng) and a second sentence (synthesis alone).

Prints a table and writes benchmarks/results/say_startup.json.

    python benchmarks/say_startup.py
    python benchmarks/say_startup.py --onnx voice.onnx --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results" / "say_startup.json"
SENTENCE = "Hello from polyvox."
POLYVOX = [sys.executable, "-m", "polyvox.cli"]
PHASES = """
import json, sys, time
marks = [("start", time.process_time())]
import polyvox.cli
marks.append(("python and the command line", time.process_time()))
from polyvox.threads import use_threads
use_threads(torch_now=False)
import torch
marks.append(("torch", time.process_time()))
from polyvox.inference.voice import Voice
from polyvox.audio.io import save_audio
marks.append(("polyvox synthesis modules", time.process_time()))
voice = Voice.load(polyvox.cli.DEFAULT_VOICE)
marks.append(("voice load", time.process_time()))
voice.synthesize(sys.argv[1], language="en", seed=0)
marks.append(("first sentence (phonemizer, espeak-ng)", time.process_time()))
voice.synthesize(sys.argv[1], language="en", seed=0)
marks.append(("second sentence", time.process_time()))
print(json.dumps([(name, end - begin) for (_, begin), (name, end) in zip(marks, marks[1:])]))
"""


def child_cpu_s(command: list[str], **kwargs: Any) -> tuple[float, float]:
    """CPU seconds (user + system) and wall seconds of ``command``, run to its end."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kwargs)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime, wall


def first_audio_s(extra: list[str]) -> float:
    """Seconds from starting ``say --stream`` to the first bytes of audio on its standard output."""
    started = time.perf_counter()
    process = subprocess.Popen([*POLYVOX, "say", SENTENCE, "--stream", *extra], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    process.stdout.read(2)
    elapsed = time.perf_counter() - started
    process.stdout.read()
    process.wait()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--onnx", type=Path, help="an exported voice.onnx (polyvox export) for --engine onnx")
    args = parser.parse_args()

    engines: dict[str, list[str]] = {"torch": []}
    if args.onnx is not None:
        engines["onnx"] = ["--engine", "onnx", "--voice", str(args.onnx)]
    report: dict[str, Any] = {"sentence": SENTENCE, "runs": args.runs, "cpu_count": os.cpu_count(), "load_average": os.getloadavg()}
    with tempfile.TemporaryDirectory() as folder:
        output = str(Path(folder) / "out.wav")
        for engine, extra in engines.items():
            runs = [child_cpu_s([*POLYVOX, "say", SENTENCE, "-o", output, *extra]) for _ in range(args.runs)]
            firsts = [first_audio_s(extra) for _ in range(args.runs)]
            report[engine] = {
                "cpu_s": statistics.median(cpu for cpu, _ in runs), "wall_s": statistics.median(wall for _, wall in runs),
                "first_audio_s": statistics.median(firsts), "cpu_s_runs": [cpu for cpu, _ in runs],
            }
            print(f"say ({engine}): {report[engine]['cpu_s']:.2f} CPU-s, {report[engine]['wall_s']:.2f} s wall; "
                  f"say --stream: first audio after {report[engine]['first_audio_s']:.2f} s")
    phases = [json.loads(subprocess.run([sys.executable, "-c", PHASES, SENTENCE], capture_output=True, text=True, check=True).stdout)
              for _ in range(args.runs)]
    report["phases_cpu_s"] = {name: statistics.median(run[index][1] for run in phases) for index, (name, _) in enumerate(phases[0])}
    print("\nCPU seconds by phase (torch engine, median):")
    for name, seconds in report["phases_cpu_s"].items():
        print(f"  {name:42} {seconds:6.3f}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
