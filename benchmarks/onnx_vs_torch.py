"""Real-time factor of the shipped default voice in PyTorch (``Voice``) and onnxruntime (``OnnxVoice``).

The default voice is exported once (``export_onnx``) into a temporary folder. Then, for each engine
on 1 and 2 threads, a fresh subprocess loads it and speaks the same ~10 s English text (seed 0):
the median synthesis time over several runs after warm-up, divided by the audio's duration, is the
RTF; the time to the first streamed chunk and the peak resident memory are reported too. Before
timing, both engines speak the text without noise and the largest sample difference is recorded
(the engines' random noise differs, so only noise-free audio can be compared sample by sample).

    python benchmarks/onnx_vs_torch.py            # 7 timed runs per configuration
    python benchmarks/onnx_vs_torch.py --quick    # 3 timed runs

Prints a table with the onnxruntime / PyTorch ratios; writes benchmarks/results/onnx_vs_torch.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results" / "onnx_vs_torch.json"
ENGINES = ("torch", "onnx")
THREADS = (1, 2)
WARMUP_RUNS = 2
TEXT = (
    "The old lighthouse keeper climbed the stairs every evening at dusk. "
    "He lit the lamp, wound the clock, and wrote a short line in his book. "
    "Ships passed far out at sea, and none of them ever knew his name."
)


def _peak_rss_mib() -> float:
    """This process's peak resident memory. (ru_maxrss would carry over the parent's peak across fork and exec.)"""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024.0  # kB
    return float("nan")


def measure(engine: str, threads: int, voice_path: Path, runs: int) -> dict[str, Any]:
    """In this (fresh) process: load the engine's voice, then time whole synthesis and the first streamed chunk."""
    load_started = time.perf_counter()
    if engine == "torch":
        import torch

        from polyvox.inference.voice import Voice

        torch.set_num_threads(threads)
        voice: Any = Voice.load(voice_path)
    else:
        from polyvox.inference.onnx_voice import OnnxVoice

        voice = OnnxVoice.load(voice_path, threads=threads)
    load_s = time.perf_counter() - load_started

    def synthesize() -> tuple[float, float]:
        started = time.perf_counter()
        result = voice.synthesize(TEXT, "en", seed=0)
        return time.perf_counter() - started, result.duration_s

    def first_chunk() -> float:
        started = time.perf_counter()
        next(iter(voice.stream(TEXT, "en", seed=0)))
        return time.perf_counter() - started

    for _ in range(WARMUP_RUNS):
        synthesize()
        first_chunk()
    timed = [synthesize() for _ in range(runs)]
    first_chunk_s = statistics.median(first_chunk() for _ in range(runs))
    audio_s = timed[0][1]
    median_s = statistics.median(seconds for seconds, _ in timed)
    return {
        "engine": engine,
        "threads": threads,
        "audio_s": audio_s,
        "median_s": median_s,
        "rtf": median_s / audio_s,
        "rtf_runs": [seconds / audio_s for seconds, _ in timed],
        "first_chunk_s": first_chunk_s,
        "load_s": load_s,
        "peak_rss_mib": _peak_rss_mib(),
        "torch_imported": "torch" in sys.modules,
    }


def parity(torch_voice_path: Path, onnx_voice_path: Path) -> dict[str, float]:
    """Largest sample difference between the engines on TEXT without noise (same durations, same latent)."""
    from polyvox.inference.onnx_voice import OnnxVoice
    from polyvox.inference.voice import Voice

    options = {"language": "en", "noise_scale": 0.0, "noise_scale_duration": 0.0}
    expected = Voice.load(torch_voice_path).synthesize(TEXT, **options).samples
    got = OnnxVoice.load(onnx_voice_path).synthesize(TEXT, **options).samples
    if got.shape != expected.shape:
        raise SystemExit(f"the engines' audio differs in length: {got.shape} vs {expected.shape}")
    return {"max_abs_difference": float(abs(got - expected).max()), "peak_amplitude": float(abs(expected).max())}


def run_child(engine: str, threads: int, voice_path: Path, runs: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", engine, str(threads), str(voice_path), "--runs", str(runs)]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"{engine} on {threads} threads failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def print_table(rows: list[dict[str, Any]]) -> None:
    print(f"{'engine':<8}{'threads':>8}{'RTF':>8}{'x realtime':>11}{'first chunk':>13}{'load s':>8}{'peak MiB':>10}{'torch?':>8}")
    for row in rows:
        print(
            f"{row['engine']:<8}{row['threads']:>8}{row['rtf']:>8.4f}{1 / row['rtf']:>10.0f}x"
            f"{row['first_chunk_s'] * 1000:>11.0f}ms{row['load_s']:>8.2f}{row['peak_rss_mib']:>10.0f}{str(row['torch_imported']):>8}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="3 timed runs per configuration instead of 7")
    parser.add_argument("--runs", type=int, default=None, help="timed runs per configuration")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, default=RESULTS, help="where the JSON goes")
    arguments = parser.parse_args()
    runs = arguments.runs or (3 if arguments.quick else 7)
    if arguments.child:
        engine, threads, voice_path = arguments.child
        print(json.dumps(measure(engine, int(threads), Path(voice_path), runs)))
        return

    from polyvox.cli_support import DEFAULT_VOICE
    from polyvox.export.onnx_export import export_onnx

    with tempfile.TemporaryDirectory() as folder:
        exported = export_onnx(DEFAULT_VOICE, Path(folder) / "voice.onnx").graph_paths["full"]
        onnx_sizes_mib = {path.name: path.stat().st_size / 2**20 for path in Path(folder).glob("*.onnx")}
        agreement = parity(DEFAULT_VOICE, exported)
        rows = []
        for threads in THREADS:
            for engine in ENGINES:
                rows.append(run_child(engine, threads, DEFAULT_VOICE if engine == "torch" else exported, runs))
                print(f"measured {engine} on {threads} thread(s)", file=sys.stderr)
    print_table(rows)
    by_key = {(row["engine"], row["threads"]): row for row in rows}
    ratios = {
        f"{threads}_threads": {
            "rtf_onnx_over_torch": by_key["onnx", threads]["rtf"] / by_key["torch", threads]["rtf"],
            "first_chunk_onnx_over_torch": by_key["onnx", threads]["first_chunk_s"] / by_key["torch", threads]["first_chunk_s"],
        }
        for threads in THREADS
    }
    for key, ratio in ratios.items():
        print(f"{key}: onnxruntime RTF / PyTorch RTF = {ratio['rtf_onnx_over_torch']:.2f}; "
              f"first chunk = {ratio['first_chunk_onnx_over_torch']:.2f}")
    print(f"noise-free audio: largest sample difference {agreement['max_abs_difference']:.2e} (peak {agreement['peak_amplitude']:.2f})")
    arguments.output.parent.mkdir(parents=True, exist_ok=True)
    arguments.output.write_text(json.dumps({
        "machine": {"platform": platform.platform(), "processor": platform.processor(), "python": platform.python_version()},
        "text": TEXT,
        "runs": runs,
        "onnx_file_sizes_mib": onnx_sizes_mib,
        "parity": agreement,
        "results": rows,
        "ratios": ratios,
    }, indent=2) + "\n")
    print(f"wrote {arguments.output}")


if __name__ == "__main__":
    main()
