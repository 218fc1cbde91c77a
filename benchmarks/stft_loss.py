"""The multi-resolution STFT loss, A/B: one checkpoint of the default-voice recipe, trained on twice.

Both arms resume the same checkpoint of ``recipes/default_voice.py`` (same data order, same random
state) for the same number of steps, one with ``training.stft_loss_weight = 0`` and one with the
weight the small preset now uses. Each runs in its own process on one thread, side by side.

Measured on each arm's output voice:

* frame-rate buzz (``polyvox.evaluation.buzz``): copy-synthesis (recorded mel -> posterior encoder ->
  decoder) of 24 corpus clips, the real cepstrum's peak at the quefrency of one hop (256 samples, 86 Hz).
  A decoder that repeats a pattern every hop puts a comb of lines 86 Hz apart over the spectrum and a
  peak there; espeak-ng's recordings have almost none (~0.02);
* ``benchmarks/default_voice_quality.py``'s figures (MCD-DTW, F0, V/UV, duration) on held-out sentences.

    python benchmarks/stft_loss.py --work runs/default --checkpoint 5500 --steps 500

Needs a recipe work folder with checkpoints (``python recipes/default_voice.py --work runs/default``);
writes benchmarks/results/stft_loss.json and works in benchmarks/results/stft_loss/ (the machinery is
recipe_ab.py, shared with precision_quality.py).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from recipe_ab import RESULTS, child_main, measure_arms, pick_checkpoint, print_comparison, run_arms, write_result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=Path("runs/default"), help="the recipe's work folder")
    parser.add_argument("--checkpoint", type=int, help="step of the checkpoint to start from (default: the newest)")
    parser.add_argument("--steps", type=int, default=500, help="steps each arm trains")
    parser.add_argument("--weight", type=float, help="the STFT loss weight of the second arm (default: the small preset's)")
    parser.add_argument("--per-language", type=int, default=8, help="held-out sentences per language")
    parser.add_argument("--threads", type=int, default=1, help="threads per arm (the two arms run at once)")
    parser.add_argument("--out", type=Path, default=RESULTS / "stft_loss")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        child_main(arguments.child)
        return

    from polyvox.config import preset

    weight = arguments.weight if arguments.weight is not None else preset("small").training.stft_loss_weight
    start, checkpoint = pick_checkpoint(arguments.work, arguments.checkpoint)
    arms = {"without": {"training.stft_loss_weight": 0.0}, "with": {"training.stft_loss_weight": weight}}
    print(f"training both arms from step {start} for {arguments.steps} steps (STFT loss weight 0 and {weight:g})", flush=True)
    run_arms(__file__, arguments.work, checkpoint, start, arguments.steps, arguments.threads, arguments.out, arms)
    result = {"start_step": start, "steps": arguments.steps, "weight": weight, "threads_per_arm": arguments.threads}
    result.update(measure_arms(arguments.work, arguments.out, list(arms), arguments.per_language))
    print_comparison(result, list(arms))
    write_result(RESULTS / "stft_loss.json", result)


if __name__ == "__main__":
    main()
