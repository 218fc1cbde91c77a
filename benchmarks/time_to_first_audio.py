"""Time to first audio of ``Voice.stream`` on one CPU thread, for a one-sentence and a twenty-sentence text.

Streaming exists so that the first audio comes as fast for a long text as for a short one; this
measures it with the bundled voice (English sentences from the corpus grammar, so every word is one
the voice was trained on) and, for comparison, the time ``Voice.synthesize`` needs for all of it.
Each number is the median over --runs runs after one warm-up (the first phonemization starts
espeak-ng, which a long-running process pays once). Prints a table and ratios and writes JSON to
benchmarks/results/time_to_first_audio.json.

    python benchmarks/time_to_first_audio.py
    python benchmarks/time_to_first_audio.py --runs 3     # quicker
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import torch

from polyvox.cli_support import DEFAULT_VOICE
from polyvox.data.corpus.sentences import SentenceGenerator, grammar_for
from polyvox.files import atomic_path
from polyvox.inference.voice import Voice

RESULTS = Path(__file__).parent / "results" / "time_to_first_audio.json"
TARGET_S = 0.1
PITCH_SEMITONES = 3.0


def first_chunk_s(voice: Voice, text: str, **options: object) -> tuple[float, int]:
    """Seconds from the call to the first chunk, and that chunk's samples."""
    start = time.perf_counter()
    chunks = voice.stream(text, language="en", seed=0, **options)  # type: ignore[arg-type]
    first = next(chunks)
    elapsed = time.perf_counter() - start
    chunks.close()
    return elapsed, first.size


def whole_s(voice: Voice, text: str) -> tuple[float, float]:
    """Seconds ``synthesize`` takes, and the seconds of audio it makes."""
    start = time.perf_counter()
    result = voice.synthesize(text, language="en", seed=0)
    return time.perf_counter() - start, result.duration_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7, help="timed runs per number (median)")
    parser.add_argument("--voice", type=Path, default=DEFAULT_VOICE)
    args = parser.parse_args()

    torch.set_num_threads(1)
    voice = Voice.load(args.voice)
    sentences = SentenceGenerator(grammar_for("en"), seed=7).sentences(20)
    texts = {"1 sentence": sentences[0], "20 sentences": " ".join(sentences)}
    load_before = os.getloadavg()
    first_chunk_s(voice, texts["1 sentence"])  # warm-up: espeak-ng, torch's first calls
    rows = {}
    for name, text in texts.items():
        first = [first_chunk_s(voice, text) for _ in range(args.runs)]
        whole = [whole_s(voice, text) for _ in range(max(1, args.runs // 2))]
        rows[name] = {
            "characters": len(text),
            "first_chunk_s": statistics.median(seconds for seconds, _ in first),
            "first_chunk_audio_s": first[0][1] / voice.sample_rate,
            "synthesize_s": statistics.median(seconds for seconds, _ in whole),
            "audio_s": whole[0][1],
        }
    pitched = [first_chunk_s(voice, texts["1 sentence"], pitch=PITCH_SEMITONES)[0] for _ in range(args.runs)]
    load_after = os.getloadavg()

    print(f"one torch thread, {args.voice.name}, median of {args.runs} runs; load average {load_before[0]:.1f} -> {load_after[0]:.1f}")
    print(f"{'text':<14}{'chars':>7}{'first audio':>13}{'synthesize':>12}{'audio':>9}{'first/whole':>13}")
    for name, row in rows.items():
        print(
            f"{name:<14}{row['characters']:>7}{row['first_chunk_s'] * 1000:>10.1f} ms{row['synthesize_s']:>10.2f} s"
            f"{row['audio_s']:>7.1f} s{row['first_chunk_s'] / row['synthesize_s']:>13.3f}"
        )
    long_over_short = rows["20 sentences"]["first_chunk_s"] / rows["1 sentence"]["first_chunk_s"]
    print(f"first audio, 20 sentences / 1 sentence: {long_over_short:.2f}x (target: about 1; each <= {TARGET_S * 1000:.0f} ms)")
    print(f"first audio with --pitch {PITCH_SEMITONES:g} (waits for the whole first sentence): {statistics.median(pitched) * 1000:.1f} ms")

    report = {
        "voice": args.voice.name,
        "torch_threads": torch.get_num_threads(),
        "runs": args.runs,
        "cpu_count": os.cpu_count(),
        "load_average_before_after": [load_before[0], load_after[0]],
        "python": platform.python_version(),
        "torch": torch.__version__,
        "target_s": TARGET_S,
        "texts": rows,
        "first_chunk_ratio_20_over_1": long_over_short,
        "first_chunk_with_pitch_s": statistics.median(pitched),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(RESULTS) as temporary:
        temporary.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
