"""float32 against bf16-mixed training, A/B: is a voice trained in bfloat16 as good?

Both arms resume the same checkpoint of ``recipes/default_voice.py`` (same data order, same random
state) for the same number of steps, one with ``training.precision = 32`` and one with ``bf16-mixed``
(Lightning's bfloat16 autocast: convolutions and matrix products in bfloat16; weights, optimizer,
losses, alignment search, duration predictors and the inverse STFT in float32). Each runs in its own
process on one thread, side by side, so the bf16 arm finishes first where the CPU has native bfloat16.
Measured as in ``recipe_ab.py``: copy-synthesis frame buzz and held-out MCD-DTW, F0, V/UV, duration.

    python benchmarks/precision_quality.py --work runs/default --checkpoint 8000 --steps 500

Needs a recipe work folder with checkpoints (``python recipes/default_voice.py --work runs/default``);
writes benchmarks/results/precision_quality.json and works in benchmarks/results/precision_quality/.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from recipe_ab import RESULTS, child_main, measure_arms, paired_difference, pick_checkpoint, print_comparison, run_arms, write_result

ARMS = {"float32": {"training.precision": "32"}, "bf16-mixed": {"training.precision": "bf16-mixed"}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=Path("runs/default"), help="the recipe's work folder")
    parser.add_argument("--checkpoint", type=int, help="step of the checkpoint to start from (default: the newest)")
    parser.add_argument("--steps", type=int, default=500, help="steps each arm trains")
    parser.add_argument("--per-language", type=int, default=8, help="held-out sentences per language")
    parser.add_argument("--threads", type=int, default=1, help="threads per arm (the two arms run at once)")
    parser.add_argument("--out", type=Path, default=RESULTS / "precision_quality")
    parser.add_argument("--measure-only", action="store_true", help="measure the arms an earlier run trained in --out")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        child_main(arguments.child)
        return

    from polyvox.inference.speed import native_bfloat16

    start, checkpoint = pick_checkpoint(arguments.work, arguments.checkpoint)
    if arguments.measure_only:
        timing = arguments.out / "training_wall_s.json"
        seconds = json.loads(timing.read_text()) if timing.exists() else {}
    else:
        print(f"training both arms from step {start} for {arguments.steps} steps (float32 and bf16-mixed)", flush=True)
        seconds = run_arms(__file__, arguments.work, checkpoint, start, arguments.steps, arguments.threads, arguments.out, ARMS)
    result = {
        "start_step": start, "steps": arguments.steps, "threads_per_arm": arguments.threads,
        "native_bfloat16": native_bfloat16(), "training_wall_s": seconds,
    }
    result.update(measure_arms(arguments.work, arguments.out, list(ARMS), arguments.per_language))
    result["bf16_minus_float32"] = {
        metric: paired_difference(arguments.out, "bf16-mixed", "float32", metric) for metric in ("mcd_db", "f0_rmse_cents", "voicing_error")
    }
    print_comparison(result, list(ARMS))
    print("\nbf16-mixed - float32 per held-out sentence (mean, 95 % interval; an interval across 0 is no difference):")
    for metric, summary in result["bf16_minus_float32"].items():
        print(f"  {metric:14} {summary['mean']:+.3f}  [{summary['ci95_low']:+.3f}, {summary['ci95_high']:+.3f}]  ({summary['count']} sentences)")
    if seconds:
        print("\ntraining wall-clock (arms side by side, one thread each): " + ", ".join(f"{arm} {s:.0f} s" for arm, s in seconds.items()))
    write_result(RESULTS / "precision_quality.json", result)


if __name__ == "__main__":
    main()
