"""Forgetting: a new language for a trained multilingual voice, (a) from its own data alone, (b) with replay (issue #6).

Base voice (--base):

* ``default`` (the full run's default): the bundled default voice, trained by recipes/default_voice.py on
  six languages (en es fr de zh ja, two speakers each). Six old languages are a harder test than the
  issue's three, and its training (hours) is already done. Replay clips are regenerated from the recipe's
  corpus settings (its seed and speakers: old-language data of the voice's own speakers).
* ``trained`` (--quick's): trained here from scratch with `polyvox train` on a generated corpus of en, es
  and de (two espeak-ng speakers each, --base-clips per speaker; small preset, batch 16, reconstruction
  losses only) for --base-steps steps; cached in benchmarks/results/forgetting/base_<preset>_<steps>steps_<clips>clips/
  and reused by later runs with the same settings (a stopped base training resumes where it stopped).

New language: ru (two generated speakers, 100 clips each; a script and phonemes the base never saw).
Both runs are `polyvox finetune --add-language ru` (freeze preset ``language``, 2,000 steps, the best
validation step as the output) with the same seed and learning rate: 1e-4 by default, five times
finetune's own 2e-5, at which forgetting alone stays mild (`--learning-rate 2e-5 --language-temperature 3`
gives finetune's defaults):

* (a) alone: the ru clips only (``require_replay=False``; polyvox refuses this without the option);
* (b) replay: the ru clips plus 30 clips of each base speaker, in language-balanced batches (temperature
  --language-temperature).

MCD-DTW (`polyvox evaluate`) per language on held-out sentences (none in any training data) of the base
speakers (each old language) and the ru speakers: the base voice before, both voices after. Targets: with replay
each old language within 5 % of its MCD before; with replay ru at least as good as alone (not measurably worse:
the 95 % interval of the per-sentence difference alone - replay reaches zero or above, the counterpart of the
cold-start benchmark's "clearly lower");
alone, some old language more than 5 % worse (the forgetting replay prevents).

    python benchmarks/forgetting.py --jobs 2         # full: the bundled voice + ru, 2 x 2,000 steps at once (~40 min)
    python benchmarks/forgetting.py --base trained   # a small base trained on en/es/de first (~2.5 h more, once; cached)
    python benchmarks/forgetting.py --quick          # a check run: a tiny trained base of 40 steps, 2 x 10 steps (minutes)

Prints the table and whether each target is met (it never fails on them); writes
benchmarks/results/forgetting.{json,md,png}; works in benchmarks/results/forgetting/.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from finetune_support import (
    DOCS_IMAGES, RESULTS, fresh_folder, language_table, paired_difference, pyplot, save_figure, scalar_curve, score_voices, speakable, unseen,
    write_json, write_text,
)

from polyvox.data.corpus import generate_corpus
from polyvox.data.manifest import Utterance, read_manifest, write_manifest

LANGUAGES = ("en", "es", "de")
NEW_LANGUAGE = "ru"
SPEAKERS_PER_LANGUAGE = 2
BASE_CORPUS_SEED = 2026
NEW_CORPUS_SEED = 7
HELD_OUT_SEED = 778
# An old language may get this much worse (MCD, relative) with replay; more than this without replay is forgetting.
MARGIN = 0.05
RUNS = {"alone": "(a) alone", "replay": "(b) replay"}


def interleaved(clips: list[Utterance]) -> list[Utterance]:
    """One language's clips with the speakers taking turns."""
    by_speaker: dict[str, list[Utterance]] = {}
    for clip in clips:
        by_speaker.setdefault(clip.speaker, []).append(clip)
    return [clip for group in zip(*by_speaker.values()) for clip in group]


def base_voice(arguments: argparse.Namespace, settings: dict[str, Any]) -> tuple[Path, Path]:
    """The cached base voice and its corpus manifest; trained (or its stopped training resumed) when absent."""
    from polyvox.config import preset
    from polyvox.finetune.defaults import NO_ADVERSARIAL_STEP
    from polyvox.train.run import train

    folder = RESULTS / "forgetting" / f"base_{settings['preset']}_{settings['steps']}steps_{settings['clips_per_speaker']}clips"
    voice, manifest, record = folder / "voice.safetensors", folder / "corpus" / "manifest.jsonl", folder / "base.json"
    if voice.is_file() and record.is_file() and json.loads(record.read_text())["settings"] == settings:
        print(f"reusing the base voice {voice}")
        return voice, manifest
    if not manifest.is_file():
        generate_corpus(folder / "corpus", LANGUAGES, SPEAKERS_PER_LANGUAGE, settings["clips_per_speaker"], seed=BASE_CORPUS_SEED)
    config = preset(settings["preset"], LANGUAGES).replace(**{
        "training.max_steps": settings["steps"], "training.batch_size": settings["batch_size"],
        "training.discriminator_start_step": NO_ADVERSARIAL_STEP, "training.log_every_steps": 25,
        "training.checkpoint_every_steps": settings["checkpoint_every_steps"],
        "training.audio_samples_every_steps": settings["checkpoint_every_steps"],
    })
    started = time.perf_counter()
    result = train(manifest, folder / "run", config, resume=True, accelerator=arguments.accelerator)
    shutil.copy(result.voice_path, voice)
    write_json(record, {"settings": settings, "steps": result.steps, "elapsed_s": time.perf_counter() - started})
    return voice, manifest


def bundled_base(arguments: argparse.Namespace) -> tuple[Path, list[Utterance], tuple[str, ...], set[str]]:
    """The bundled voice, replay clips of its own speakers, its languages, and every sentence it trained on."""
    from default_voice_quality import load_recipe, training_sentences

    from polyvox.cli_support import DEFAULT_VOICE

    recipe = load_recipe()
    folder = fresh_folder(RESULTS / "forgetting" / "bundled_replay")
    generate_corpus(folder, list(recipe.LANGUAGES), recipe.SPEAKERS_PER_LANGUAGE, arguments.replay_clips, seed=recipe.CORPUS_SEED)
    return DEFAULT_VOICE, read_manifest(folder / "manifest.jsonl"), tuple(recipe.LANGUAGES), training_sentences(recipe, None)


def finetune_run(
    name: str, base: Path, data: Path, replay: Path | None, work: Path, arguments: argparse.Namespace, languages: list[str]
) -> dict[str, Any]:
    import torch

    from polyvox.finetune import FinetuneOptions, plan_finetune, run_finetune

    torch.set_num_threads(arguments.threads)  # again: with --jobs 2 this runs in a fresh process
    overrides = ["training.audio_samples_every_steps=5", "training.checkpoint_every_steps=5"] if arguments.quick else []
    if arguments.language_temperature is not None:
        overrides.append(f"training.language_temperature={arguments.language_temperature}")
    options = FinetuneOptions(
        add_language=NEW_LANGUAGE, replay=replay, require_replay=replay is not None, steps=arguments.steps,
        learning_rate=arguments.learning_rate, overrides=tuple(overrides),
    )
    run_dir = fresh_folder(work / f"run_{name}")
    started = time.perf_counter()
    plan = plan_finetune(base, data, work / f"{name}.safetensors", run_dir, options)
    result = run_finetune(plan, progress=True, accelerator=arguments.accelerator)
    elapsed = time.perf_counter() - started
    return {
        "voice": str(result.voice_path), "steps": result.steps, "best_step": result.best_step, "elapsed_s": elapsed,
        "s_per_step": elapsed / max(1, result.steps), "freeze": plan.freeze.preset,
        "learning_rate": plan.metadata.config.training.learning_rate, "training_clips": len(plan.data.utterances),
        "validation": {
            language: {figure: scalar_curve(run_dir / "logs", f"val_{language}/{figure}") for figure in ("mel_loss", "mcd_db")}
            for language in languages
        },
    }


def plot(table: dict[str, dict[str, dict[str, Any]]], change: dict[str, dict[str, float]], path: Path) -> Path:
    """Left: MCD per language and system (95 % intervals); right: each old language's change, against the margin."""
    plt = pyplot()
    systems = {"before": "before (base voice)", "alone": RUNS["alone"], "replay": RUNS["replay"]}
    colours = {"before": "tab:grey", "alone": "tab:orange", "replay": "tab:blue"}
    languages = list(table)
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.4), gridspec_kw={"width_ratios": [3, 2]})
    width = 0.27
    for offset, (system, label) in enumerate(systems.items()):
        placed = [(index, table[language][system]) for index, language in enumerate(languages) if system in table[language]]
        xs = [index + (offset - 1) * width for index, _ in placed]
        means = [summary["mean"] for _, summary in placed]
        errors = [0.0 if s["ci95_low"] is None or s["ci95_high"] is None else (s["ci95_high"] - s["ci95_low"]) / 2 for _, s in placed]
        left.bar(xs, means, width, yerr=errors, capsize=3, color=colours[system], label=label)
        for x, mean in zip(xs, means):
            left.text(x, mean * 0.97, f"{mean:.2f}", ha="center", va="top", fontsize=7, color="white")
    left.set_xticks(range(len(languages)), [f"{language} (new)" if language == NEW_LANGUAGE else language for language in languages])
    left.set(ylabel="MCD-DTW (dB), lower is better", title="MCD per language, held-out sentences")
    left.legend(fontsize=8, ncol=3, loc="upper center", bbox_to_anchor=(0.5, -0.08))
    old = [language for language in languages if language != NEW_LANGUAGE]
    for offset, system in enumerate(RUNS):
        xs = [index + (offset - 0.5) * width for index in range(len(old))]
        right.bar(xs, [100 * change[system][language] for language in old], width, color=colours[system], label=RUNS[system])
    right.axhline(100 * MARGIN, color="black", linestyle="--", linewidth=1, label=f"+{MARGIN:.0%}: the margin")
    right.axhline(0, color="black", linewidth=0.6)
    right.set_xticks(range(len(old)), old)
    right.set(ylabel="MCD change from before (%)", title="old languages after adding one")
    right.legend(fontsize=8)
    return save_figure(figure, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a check run: tiny base, few steps and clips")
    parser.add_argument("--base", choices=("default", "trained"), help="the bundled voice, or one trained here (default: default; --quick trained)")
    parser.add_argument("--base-preset", help="base voice size (default small; --quick tiny)")
    parser.add_argument("--base-steps", type=int, help="base voice training steps (default 2,500; --quick 40)")
    parser.add_argument("--base-clips", type=int, help="base corpus clips per speaker (default 200; --quick 6)")
    parser.add_argument("--steps", type=int, help="steps of each fine-tuning run (default 2,000; --quick 10)")
    parser.add_argument("--new-clips", type=int, help="ru clips per speaker (default 100; --quick 6)")
    parser.add_argument("--replay-clips", type=int, help="replay clips per base speaker (default 30; --quick 3)")
    parser.add_argument("--held-out", type=int, help="held-out sentences per language (default 6; --quick 2)")
    parser.add_argument("--seed", type=int, default=0, help="synthesis noise when evaluating")
    parser.add_argument("--threads", type=int, default=1, help="torch threads per run")
    parser.add_argument("--jobs", type=int, choices=(1, 2), default=1, help="2: both runs at once, in two processes")
    parser.add_argument("--learning-rate", type=float, default=1e-4,
                        help="of both runs (default 1e-4, where forgetting shows; polyvox finetune's own is 2e-5)")
    parser.add_argument("--language-temperature", type=float, default=0.5,
                        help="the replay run's language sampling temperature (default 0.5: about two thirds ru; the config's is 3)")
    parser.add_argument("--accelerator", default="cpu", help="Lightning accelerator for the training runs (cpu, gpu, auto)")
    parser.add_argument("--docs-image", action="store_true", help="copy the plot to docs/images/forgetting.png")
    arguments = parser.parse_args()
    quick = arguments.quick
    for name, full, check in (("base", "default", "trained"), ("base_preset", "small", "tiny"), ("base_steps", 2500, 40), ("base_clips", 200, 6), ("steps", 2000, 10),
                              ("new_clips", 100, 6), ("replay_clips", 30, 3), ("held_out", 6, 2)):
        if getattr(arguments, name) is None:
            setattr(arguments, name, check if quick else full)
    import torch

    torch.set_num_threads(arguments.threads)
    work = RESULTS / "forgetting"
    if arguments.base == "default":
        base, base_clips, languages, seen = bundled_base(arguments)
        settings: dict[str, Any] = {"voice": "bundled default voice", "languages": list(languages)}
        replay = base_clips
    else:
        settings = {"preset": arguments.base_preset, "steps": arguments.base_steps, "clips_per_speaker": arguments.base_clips,
                    "languages": list(LANGUAGES), "corpus_seed": BASE_CORPUS_SEED,
                    "batch_size": 4 if arguments.base_preset == "tiny" else 16, "checkpoint_every_steps": 20 if quick else 250}
        base, base_manifest = base_voice(arguments, settings)
        base_clips, languages, seen = read_manifest(base_manifest), LANGUAGES, set()
        replay = [clip for speaker in dict.fromkeys(c.speaker for c in base_clips)
                  for clip in [c for c in base_clips if c.speaker == speaker][: arguments.replay_clips]]
    write_manifest(work / "replay.jsonl", replay)
    generate_corpus(fresh_folder(work / "new_corpus"), [NEW_LANGUAGE], SPEAKERS_PER_LANGUAGE, arguments.new_clips, seed=NEW_CORPUS_SEED)
    new_data = work / "new_corpus" / "manifest.jsonl"
    seen |= {clip.text for clip in [*base_clips, *read_manifest(new_data)]}
    all_languages = [*languages, NEW_LANGUAGE]
    generate_corpus(fresh_folder(work / "held_out"), all_languages, SPEAKERS_PER_LANGUAGE, arguments.held_out + 10,
                    seed=HELD_OUT_SEED, progress=False)
    held_out = read_manifest(work / "held_out" / "manifest.jsonl")
    replays = {"alone": None, "replay": work / "replay.jsonl"}
    if arguments.jobs == 2:
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(2, mp_context=context) as pool:
            futures = {name: pool.submit(finetune_run, name, base, new_data, replay, work, arguments, all_languages)
                       for name, replay in replays.items()}
            runs = {name: future.result() for name, future in futures.items()}
    else:
        runs = {name: finetune_run(name, base, new_data, replay, work, arguments, all_languages) for name, replay in replays.items()}
    after = [Path(run["voice"]) for run in runs.values()]
    recordings = {
        language: unseen(speakable(interleaved([c for c in held_out if c.language == language]),
                                   after if language == NEW_LANGUAGE else [base, *after]), seen, arguments.held_out)
        for language in all_languages
    }
    old = score_voices([r for language in languages for r in recordings[language]],
                       {"before": base, **{name: Path(run["voice"]) for name, run in runs.items()}}, arguments.seed)
    new = score_voices(recordings[NEW_LANGUAGE], {name: Path(run["voice"]) for name, run in runs.items()}, arguments.seed)
    summaries = {**language_table(old)}
    for system, groups in language_table(new).items():
        summaries[system].update(groups)
    table = {language: {system: summaries[system][language]["mcd_db"] for system in summaries if language in summaries[system]}
             for language in all_languages}
    change = {system: {language: table[language][system]["mean"] / table[language]["before"]["mean"] - 1 for language in languages}
              for system in RUNS}
    # ru, sentence by sentence: alone - replay (positive: replay better), with its 95 % interval.
    new_difference = paired_difference(new, "alone", "replay")
    targets = {
        "replay_keeps_old_languages": all(value <= MARGIN for value in change["replay"].values()),
        "replay_new_language_at_least_alone": new_difference["ci95_high"] is not None and new_difference["ci95_high"] >= 0,
        "alone_shows_forgetting": any(value > MARGIN for value in change["alone"].values()),
    }
    png = plot(table, change, RESULTS / "forgetting.png")
    if arguments.docs_image:
        DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
        shutil.copy(png, DOCS_IMAGES / "forgetting.png")

    described = ("the bundled default voice" if arguments.base == "default"
                 else f"a {arguments.base_preset} voice trained {arguments.base_steps} steps")
    lines = [
        f"Adding {NEW_LANGUAGE} to {described} ({', '.join(languages)}); {arguments.steps} fine-tuning steps per run at "
        f"learning rate {runs['alone']['learning_rate']:g}"
        + (f", replay language temperature {arguments.language_temperature:g}" if arguments.language_temperature else "")
        + f"; MCD-DTW dB (mean of {arguments.held_out} held-out sentences per language).",
        "",
        "| language | before | (a) alone | change | (b) replay | change |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for language in all_languages:
        row = table[language]
        before = f"{row['before']['mean']:.2f}" if "before" in row else "(not spoken)"
        cells = [f"{row[s]['mean']:.2f} | {change[s][language]:+.1%}" if language in change[s] else f"{row[s]['mean']:.2f} | " for s in RUNS]
        lines.append(f"| {language} | {before} | {' | '.join(cells)} |")
    lines += [
        "",
        "Output voices (the best validation step; step 0 is the base voice with its tables grown): "
        + ", ".join(f"{RUNS[name]} step {run['best_step']} of {run['steps']}" for name, run in runs.items()) + ".",
        "",
        *(f"- {name.replace('_', ' ')}: {'met' if met else 'not met'}" for name, met in targets.items()),
        f"  ({NEW_LANGUAGE} alone - replay per sentence: {new_difference['mean']:+.2f} dB, 95 % interval "
        f"{new_difference['ci95_low']:+.2f} .. {new_difference['ci95_high']:+.2f}; positive: replay better)",
    ]
    lines.append(f"  (old languages may change by at most {MARGIN:.0%} with replay; more than that alone is forgetting)")
    markdown = "\n".join(lines) + "\n"
    write_text(RESULTS / "forgetting.md", markdown)
    write_json(RESULTS / "forgetting.json", {
        "quick": quick, "base": {"voice": str(base), **settings}, "new_language": NEW_LANGUAGE,
        "settings": {name: getattr(arguments, name) for name in ("base", "learning_rate", "language_temperature", "steps", "new_clips", "replay_clips", "held_out", "seed", "threads")},
        "margin": MARGIN, "mcd_db": table, "new_language_alone_minus_replay": new_difference, "relative_change": change, "targets": targets,
        "evaluation": summaries, "runs": runs,
    })
    print(markdown)
    print(f"wrote {RESULTS / 'forgetting.json'}, {RESULTS / 'forgetting.md'}, {png}")


if __name__ == "__main__":
    main()
