"""Cold start: one minute of a new speaker, fine-tuned from the default voice and from random weights (issue #5).

The speaker is a generated espeak-ng voice the default voice never heard (default ``en_f1``: the default
voice was trained on the variants f3 and m1 of every language). About 60 s of its clips are the data;
other sentences of it (none in the data) are the held-out recordings. Two `polyvox finetune` runs, with
the same data, options, seed and step budget:

* pretrained: from the bundled default voice;
* random: from a voice file with the default voice's architecture and tables (config, symbols,
  languages, speakers) but freshly initialised weights (seeded), so only the starting weights differ.

Both use the freeze preset ``all``. The default for a new speaker (``voice``) keeps the text encoder and
duration predictors as they are: from random weights those would stay random and the random run could
never learn to read, so the comparison would measure the freeze rather than the starting point. The rest
is `polyvox finetune`'s defaults (learning rate 2e-5, batch 8, validation every 200 steps, the best
validation step is the output), plus a training loss logged every step.

Recorded: train/loss_mel of every step of both runs, the initial losses (first step, and the held-out
validation mel loss at step 0), the crossing step, and `polyvox evaluate`'s figures of both output voices
(and, for context, of the default voice as it ships, speaking as its own first speaker of the language).
Crossing step: the loss logged at step s is that of the model after s updates (step 0: the starting
weights). The random run's final loss is the mean of its last W logged mel losses (W = steps / 20, at
most 100); the pretrained run's smoothed curve is the trailing mean of its last W mel losses (fewer at the
start); the crossing step is the first step at which that curve is at or below the random run's final
loss (0: the pretrained voice starts below it). Targets: crossing step <= a quarter of the steps; the pretrained voice's MCD-DTW lower than the
random one's, with the 95 % interval of the per-sentence difference (random - pretrained) above zero.

    python benchmarks/cold_start.py                # full: 2 x 2,000 steps; 1-2.5 h on 2 cores at one thread
    python benchmarks/cold_start.py --quick        # a check run: 2 x 20 steps, 2 held-out sentences (minutes)
    python benchmarks/cold_start.py --docs-image   # also copy the plot to docs/images/cold_start.png

Prints the figures, the ratio and whether each target is met (it never fails on them); writes
benchmarks/results/cold_start.{json,md,png}; works in benchmarks/results/cold_start/.
"""

from __future__ import annotations

import dataclasses
import shutil
import time
from pathlib import Path
from typing import Any

from default_voice_quality import load_recipe, training_sentences
from finetune_support import (
    DOCS_IMAGES, RESULTS, first_minutes, fresh_folder, language_table, paired_difference, pyplot, save_figure,
    scalar_curve, score_voices, speakable, speaker_clips, speaker_run_parser, trailing_mean, unseen, write_json, write_text,
)

from polyvox.data.manifest import write_manifest

SYSTEMS = ("pretrained", "random")
UNTUNED = "untuned"  # the default voice, not fine-tuned, as one of its own speakers
DATA_SEED = 31
HELD_OUT_SEED = 32
TARGET_STEP_FRACTION = 0.25
FREEZE = "all"


def random_voice(source: Path, output: Path, seed: int) -> Path:
    """``source``'s metadata with a freshly initialised generator (seeded): the same architecture and tables."""
    import torch

    from polyvox.voice_file import build_generator, read_metadata, save_voice

    metadata = read_metadata(source)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        generator = build_generator(metadata)
    info = {"initialisation": f"random, seed {seed}", "architecture_and_tables_of": source.name}
    return save_voice(output, generator.state_dict(), dataclasses.replace(metadata, info=info))


def smoothing_window(steps: int) -> int:
    return max(1, min(100, steps // 20))


def crossing(pretrained: list[tuple[int, float]], random_final: float, window: int) -> int | None:
    """First step at which the pretrained run's trailing mean is at or below ``random_final``."""
    smoothed = trailing_mean([value for _, value in pretrained], window)
    return next((step for (step, _), mean in zip(pretrained, smoothed) if mean <= random_final), None)


def evaluation_cells(figures: dict[str, dict[str, Any]]) -> str:
    """MCD-DTW, F0 RMSE (cents), V/UV error and duration ratio means, as table cells."""
    values = [figures[metric]["mean"] for metric in ("mcd_db", "f0_rmse_cents", "voicing_error", "duration_ratio")]
    return " | ".join("n/a" if value is None else f"{value:.{digits}f}" for value, digits in zip(values, (2, 0, 3, 2)))


def interval(summary: dict[str, Any]) -> str:
    low, high = summary["ci95_low"], summary["ci95_high"]
    return "n/a" if low is None or high is None else f"{low:.2f} .. {high:.2f}"


def run(system: str, source: Path, data: Path, work: Path, options: Any, accelerator: str) -> dict[str, Any]:
    from polyvox.finetune import plan_finetune, run_finetune

    run_dir = fresh_folder(work / f"run_{system}")
    started = time.perf_counter()
    plan = plan_finetune(source, data, work / f"{system}.safetensors", run_dir, options)
    result = run_finetune(plan, progress=True, accelerator=accelerator)
    elapsed = time.perf_counter() - started
    logs = run_dir / "logs"
    training = plan.metadata.config.training
    return {
        "voice": str(result.voice_path), "steps": result.steps, "best_step": result.best_step, "elapsed_s": elapsed,
        "s_per_step": elapsed / max(1, result.steps), "source": str(source), "learning_rate": training.learning_rate,
        "batch_size": training.batch_size, "trained_parameters": plan.freeze.trainable_parameters,
        "loss_mel": scalar_curve(logs, "train/loss_mel"),
        "validation_mel_loss": scalar_curve(logs, "val_en/mel_loss"),
        "validation_mcd_db": scalar_curve(logs, "val_en/mcd_db"),
    }


def plot(runs: dict[str, dict[str, Any]], window: int, random_final: float, step: int | None, path: Path) -> Path:
    plt = pyplot()
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.2))
    colours = {"pretrained": "tab:blue", "random": "tab:orange"}
    for system, record in runs.items():
        steps = [s for s, _ in record["loss_mel"]]
        values = [v for _, v in record["loss_mel"]]
        left.plot(steps, values, color=colours[system], alpha=0.2, linewidth=0.7)
        left.plot(steps, trailing_mean(values, window), color=colours[system], label=f"{system} (trailing mean of {window})")
        validation = record["validation_mel_loss"]
        right.plot([s for s, _ in validation], [v for _, v in validation], "o-", color=colours[system], label=system)
    left.axhline(random_final, color="grey", linestyle="--", linewidth=1, label="random run's final loss")
    if step is not None:
        left.axvline(step, color="tab:green", linestyle=":", label=f"pretrained reaches it: step {step}")
    left.set(xlabel="updates", ylabel="train/loss_mel (L1 on log-mel)", title="training mel loss")
    right.set(xlabel="updates", ylabel="val_en/mel_loss", title="validation clips: text -> mel loss")
    left.legend(fontsize=8)
    right.legend(fontsize=8)
    return save_figure(figure, path)


def main() -> None:
    parser = speaker_run_parser(
        __doc__, "few steps, few recordings", "steps per run (default 2,000; --quick 20)", "both runs", RESULTS / "cold_start"
    )
    parser.add_argument("--speaker", default="en_f1", help="generated speaker the default voice never heard")
    parser.add_argument("--accelerator", default="cpu", help="Lightning accelerator for the runs (cpu, gpu, auto)")
    parser.add_argument("--docs-image", action="store_true", help="copy the plot to docs/images/cold_start.png")
    arguments = parser.parse_args()
    import torch

    from polyvox.voice_file import read_metadata
    from polyvox.cli_support import DEFAULT_VOICE
    from polyvox.finetune import FinetuneOptions

    torch.set_num_threads(arguments.threads)
    steps = arguments.steps or (20 if arguments.quick else 2000)
    held_out = arguments.held_out or (2 if arguments.quick else 10)
    heard = {name.split("_")[1] for name in read_metadata(DEFAULT_VOICE).speakers}
    language, variant = arguments.speaker.split("_")[:2]
    if variant in heard:
        raise SystemExit(f"--speaker {arguments.speaker}: the default voice heard the variant {variant}; choose another")
    work = arguments.work
    work.mkdir(parents=True, exist_ok=True)
    # Generated sentences last about 2 s: enough clips for --seconds, and then some.
    per_speaker = int(arguments.seconds / 1.5) + 10
    generated = speaker_clips(fresh_folder(work / "corpus"), language, [arguments.speaker], per_speaker, DATA_SEED)
    data = first_minutes(generated, arguments.seconds)
    write_manifest(work / "data.jsonl", data)
    candidates = speaker_clips(fresh_folder(work / "held_out_corpus"), language, [arguments.speaker], held_out * 2 + 10, HELD_OUT_SEED)
    overrides = ["training.log_every_steps=1"]
    if arguments.quick:
        overrides += ["training.audio_samples_every_steps=10", "training.checkpoint_every_steps=10"]
    options = FinetuneOptions(freeze=FREEZE, steps=steps, learning_rate=arguments.learning_rate, overrides=tuple(overrides))
    sources = {"pretrained": DEFAULT_VOICE, "random": random_voice(DEFAULT_VOICE, work / "random_init.safetensors", arguments.seed)}
    runs = {system: run(system, sources[system], work / "data.jsonl", work, options, arguments.accelerator) for system in SYSTEMS}
    voices = {system: Path(runs[system]["voice"]) for system in SYSTEMS}
    # Held out: no sentence of the data, nor of the default voice's own training corpus (read by other speakers).
    seen = {u.text for u in generated} | training_sentences(load_recipe(), None)
    recordings = unseen(speakable(candidates, list(voices.values())), seen, held_out)

    window = smoothing_window(steps)
    random_final = trailing_mean([v for _, v in runs["random"]["loss_mel"]], window)[-1]
    step = crossing(runs["pretrained"]["loss_mel"], random_final, window)
    fraction = None if step is None else step / runs["random"]["steps"]
    # Context for the figures: the default voice as it ships, speaking as its first speaker of the language.
    untuned = next(name for name in read_metadata(DEFAULT_VOICE).speakers if name.startswith(f"{language}_"))
    result = score_voices(recordings, {**voices, UNTUNED: DEFAULT_VOICE}, arguments.seed, {UNTUNED: untuned})
    figures = {system: groups[language] for system, groups in language_table(result).items()}
    difference = paired_difference(result, "random", "pretrained")
    crossing_met = fraction is not None and fraction <= TARGET_STEP_FRACTION
    mcd_met = difference["ci95_low"] is not None and difference["ci95_low"] > 0
    png = plot(runs, window, random_final, step, RESULTS / "cold_start.png")
    if arguments.docs_image:
        DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
        shutil.copy(png, DOCS_IMAGES / "cold_start.png")

    initial = {
        system: {"first_step_loss_mel": record["loss_mel"][0][1] if record["loss_mel"] else None,
                 "validation_mel_loss_at_start": record["validation_mel_loss"][0][1] if record["validation_mel_loss"] else None,
                 "validation_mcd_db_at_start": record["validation_mcd_db"][0][1] if record["validation_mcd_db"] else None}
        for system, record in runs.items()
    }
    lines = [
        f"Cold start: {sum(u.duration for u in data):.0f} s ({len(data)} clips) of {arguments.speaker}, {steps} steps each, "
        f"freeze `{FREEZE}`, same options; {len(recordings)} held-out sentences.",
        "",
        "| start | first-step mel loss | held-out mel loss at step 0 | final mel loss (mean of last "
        f"{window}) | best step | MCD-DTW dB | F0 RMSE cents | V/UV error | duration ratio | s/step |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for system, record in runs.items():
        final = trailing_mean([v for _, v in record["loss_mel"]], window)[-1]
        lines.append(
            f"| {system} | {initial[system]['first_step_loss_mel']:.3f} | {initial[system]['validation_mel_loss_at_start'] or float('nan'):.3f} | "
            f"{final:.3f} | {record['best_step']} | {evaluation_cells(figures[system])} | {record['s_per_step']:.2f} |"
        )
    lines.append(f"| {UNTUNED} (default voice as {untuned}) | | | | | {evaluation_cells(figures[UNTUNED])} | |")
    lines += [
        "",
        f"Pretrained reaches the random run's final mel loss ({random_final:.3f}) at step {step}: "
        f"{'never' if fraction is None else f'{fraction:.3f} of the steps'} (target <= {TARGET_STEP_FRACTION}): "
        f"{'met' if crossing_met else 'not met'}.",
        f"MCD-DTW random - pretrained, per sentence: {difference['mean']:.2f} dB (95 % interval {interval(difference)}); "
        f"pretrained clearly lower (interval above 0): {'met' if mcd_met else 'not met'}.",
    ]
    markdown = "\n".join(lines) + "\n"
    write_text(RESULTS / "cold_start.md", markdown)
    write_json(RESULTS / "cold_start.json", {
        "quick": arguments.quick, "speaker": arguments.speaker, "data_seconds": sum(u.duration for u in data),
        "data_clips": len(data), "held_out": len(recordings), "steps": steps, "freeze": FREEZE,
        "learning_rate": arguments.learning_rate, "seed": arguments.seed, "threads": arguments.threads,
        "smoothing_window": window, "random_final_loss_mel": random_final, "crossing_step": step,
        "crossing_fraction": fraction, "initial": initial, "untuned_speaker": untuned, "evaluation": figures, "mcd_random_minus_pretrained": difference,
        "targets": {"crossing_fraction_at_most": TARGET_STEP_FRACTION, "crossing_met": crossing_met, "mcd_clearly_lower_met": mcd_met},
        "runs": runs,
    })
    print(markdown)
    print(f"wrote {RESULTS / 'cold_start.json'}, {RESULTS / 'cold_start.md'}, {png}")


if __name__ == "__main__":
    main()
