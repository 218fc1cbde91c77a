"""Quality of the default voice on held-out sentences, beside copy-synthesis and the untrained model.

Recordings are new espeak-ng clips from the recipe's languages and speakers (recipes/default_voice.py)
with another seed; every sentence of the training corpus (regenerated from the recipe's seed, or read
from --train-manifest) is left out. Each recording is scored with `polyvox evaluate`'s metrics for
three systems: the voice speaking its text, copy-synthesis of the recording through the voice's
posterior encoder and decoder, and an untrained model of the same architecture.

    python benchmarks/default_voice_quality.py [--voice V] [--per-language 4] [--train-manifest M]

Prints the per-language table; writes benchmarks/results/default_voice_quality.{json,md}, the full
report in benchmarks/results/default_voice_quality/, and the figures used by docs/evaluation.md
to docs/images/ (--no-docs-images to skip).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import torch

from polyvox.cli_support import DEFAULT_VOICE
from polyvox.data.corpus import generate_corpus
from polyvox.data.corpus.plan import plan_corpus
from polyvox.data.manifest import Utterance, read_manifest
from polyvox.evaluation.baselines import baseline_sources
from polyvox.evaluation.report import by_language, summary_table, write_report
from polyvox.evaluation.run import evaluate
from polyvox.evaluation.sources import VoiceSource
from polyvox.inference.voice import Voice
from polyvox.speech_request import SpeechRequest

ROOT = Path(__file__).resolve().parent.parent
HELD_OUT_SEED = 777
RESULTS = ROOT / "benchmarks" / "results"
DOCS_IMAGES = ROOT / "docs" / "images"
# The aim of issue #4: per-language MCD-DTW within this factor of copy-synthesis.
AIM_RATIO = 1.5


def load_recipe() -> ModuleType:
    spec = importlib.util.spec_from_file_location("default_voice_recipe", ROOT / "recipes" / "default_voice.py")
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load the recipe from {ROOT / 'recipes' / 'default_voice.py'}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def training_sentences(recipe: ModuleType, train_manifest: Path | None) -> set[str]:
    """Every sentence the recipe trained on: from its manifest, or regenerated from its seed."""
    if train_manifest is not None:
        return {utterance.text for utterance in read_manifest(train_manifest)}
    # The corpus's text without its audio: the same plan generate_corpus follows. (A voice trained on a corpus
    # made before the grammars or the phoneme covering changed needs its manifest, --train-manifest.)
    plan = plan_corpus(recipe.LANGUAGES, recipe.SPEAKERS_PER_LANGUAGE, recipe.UTTERANCES_PER_SPEAKER, recipe.CORPUS_SEED)
    return {sentence for _, sentence in plan.utterances}


def held_out_recordings(
    recipe: ModuleType, folder: Path, per_language: int, seen: set[str], sample_rate: int
) -> tuple[list[Utterance], int]:
    """``per_language`` recordings per language, speakers alternating, none of whose text is in ``seen``;
    and how many generated clips were dropped because their text is."""
    per_speaker = per_language  # twice what is needed: room for sentences dropped as seen
    generate_corpus(folder, list(recipe.LANGUAGES), recipe.SPEAKERS_PER_LANGUAGE, per_speaker,
                    sample_rate=sample_rate, seed=HELD_OUT_SEED, progress=False)
    generated = read_manifest(folder / "manifest.jsonl")
    fresh = [u for u in generated if u.text not in seen]
    return speakers_in_turn(fresh, per_language, recipe.LANGUAGES), len(generated) - len(fresh)


def speakers_in_turn(utterances: list[Utterance], per_language: int, languages: Sequence[str] | None = None) -> list[Utterance]:
    """The first ``per_language`` clips of each language (``languages``, default: in the order they come), its
    speakers taking turns."""
    chosen: list[Utterance] = []
    for language in languages or dict.fromkeys(u.language for u in utterances):
        by_speaker: dict[str, list[Utterance]] = {}
        for utterance in utterances:
            if utterance.language == language:
                by_speaker.setdefault(utterance.speaker, []).append(utterance)
        interleaved = [u for group in zip(*by_speaker.values()) for u in group]
        chosen += interleaved[:per_language]
    return chosen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--voice", type=Path, default=DEFAULT_VOICE)
    parser.add_argument("--per-language", type=int, default=4)
    parser.add_argument("--train-manifest", type=Path, help="exclude the sentences of this manifest (default: regenerate)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-docs-images", action="store_true")
    parser.add_argument("--results", type=Path, default=RESULTS, help="folder for the summaries and the report (e.g. to compare checkpoints)")
    arguments = parser.parse_args()
    torch.set_num_threads(1)  # a benchmark beside training: stay on one core
    recipe = load_recipe()
    voice = Voice.load(arguments.voice)
    steps = voice.metadata.info.get("steps", "unknown")
    voice_source = VoiceSource(voice, "voice", options=SpeechRequest(seed=arguments.seed))
    sources = [voice_source, *baseline_sources(["copy", "untrained"], voice_source)]
    started = time.perf_counter()
    results = arguments.results
    report_dir = results / "default_voice_quality"
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        recordings, dropped = held_out_recordings(
            recipe, folder / "corpus", arguments.per_language, training_sentences(recipe, arguments.train_manifest), voice.sample_rate
        )
        result = evaluate(recordings, sources, voice.sample_rate, examples=len(recipe.LANGUAGES), audio_dir=None)
    info = {"voice": str(arguments.voice), "voice_steps": steps, "recordings": f"espeak-ng held out, seed {HELD_OUT_SEED}"}
    files = write_report(result, report_dir, info)
    elapsed = time.perf_counter() - started

    summaries = by_language(result)
    languages = list(dict.fromkeys(item.language for item in result.results))
    table = {
        language: {
            system: {metric: summary.to_dict() for metric, summary in summaries[system][language].items()}
            for system in result.systems
        }
        for language in languages
    }
    ratios = {
        language: summaries["voice"][language]["mcd_db"].mean / summaries["copy-synthesis"][language]["mcd_db"].mean
        for language in languages
    }
    lines = [
        f"Default voice ({steps} steps), {arguments.per_language} held-out sentences per language; MCD-DTW in dB (mean).",
        "",
        "| language | voice | copy-synthesis | untrained | voice / copy | F0 RMSE cents (voice) | V/UV error (voice) | duration ratio (voice) | frame buzz (voice / copy) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for language in languages:
        voice_row = summaries["voice"][language]
        lines.append(
            f"| {language} | {voice_row['mcd_db'].mean:.2f} | {summaries['copy-synthesis'][language]['mcd_db'].mean:.2f} | "
            f"{summaries['untrained'][language]['mcd_db'].mean:.2f} | {ratios[language]:.2f} | "
            f"{voice_row['f0_rmse_cents'].mean:.0f} | {voice_row['voicing_error'].mean:.3f} | {voice_row['duration_ratio'].mean:.2f} | "
            f"{voice_row['frame_buzz'].mean:.2f} / {summaries['copy-synthesis'][language]['frame_buzz'].mean:.2f} |"
        )
    markdown = "\n".join(lines) + "\n"
    results.mkdir(parents=True, exist_ok=True)
    (results / "default_voice_quality.md").write_text(markdown, encoding="utf-8")
    (results / "default_voice_quality.json").write_text(json.dumps({
        "voice": str(arguments.voice), "steps": steps, "per_language": arguments.per_language, "seed": arguments.seed,
        "held_out_seed": HELD_OUT_SEED, "dropped_as_trained_on": dropped, "elapsed_s": elapsed, "analysis": result.settings,
        "mcd_ratio_voice_to_copy": ratios, "aim_ratio": AIM_RATIO, "by_language": table,
    }, indent=1), encoding="utf-8")
    if not arguments.no_docs_images:
        DOCS_IMAGES.mkdir(parents=True, exist_ok=True)
        shutil.copy(report_dir / "metrics.png", DOCS_IMAGES / "evaluation_metrics.png")
        for example in result.examples:
            shutil.copy(report_dir / "spectrograms" / f"{example.utterance_id}.png", DOCS_IMAGES / f"evaluation_{example.language}.png")
    print(summary_table(result))
    print()
    print(markdown)
    print(f"{dropped} generated clips left out (their sentence is in the training corpus); {elapsed:.0f} s; report {files.markdown}")


if __name__ == "__main__":
    main()
