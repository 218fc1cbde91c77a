"""Does a sampled style fit the sentence? (#20 item 2: "varied, fitting prosody without a reference").

1. A corpus whose style follows the text, as `polyvox corpus --languages en --speakers 2 --utterances 60 --seed 11
   --styles excited,calm,neutral --style-by sentence` makes it: exclamations excited, questions calm, statements
   neutral, 40 clips of each kind (en_f3 and en_m1).
2. A style voice: the bundled voice fine-tuned on it with style labels and a style sampler (every part, float32,
   learning rate 5e-4, --steps, default 300; the sampler's condition standardized and its learning rate 4 x the
   voice's; polyvox.evaluation.style_voice), or --voice.
3. Held-out sentences of each kind (the grammar's draw for seed 12345, none in the corpus): for each speaker, the
   sampler draws styles (--style sample, --seeds each) and they are measured against the voice's label rows
   (a: the share nearest each row; chance is a third), beside two controls that keep the sampler and take the text
   away: the same draws under another sentence's condition (chosen at random from all kinds) and at --style-scale 0.
   The same sentences are spoken (b: F0 mean and range, rate in sounds per second, energy) with the sampled style,
   at scale 0, with the kind's label (--emotion) and with --emotion neutral, beside the corpus's clips of each kind.

Writes benchmarks/results/style_fit.{json,md}.

    python benchmarks/style_fit.py                       # corpus, fine-tune (a second run reuses both), figures
    python benchmarks/style_fit.py --voice v.safetensors --corpus runs/style_fit/corpus    # figures only
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import torch
from finetune_support import RESULTS, write_json, write_text

from polyvox.data.corpus import generate_corpus
from polyvox.data.corpus.sentence_kinds import SENTENCE_KIND_STYLES, sentence_kind
from polyvox.data.manifest import read_manifest
from polyvox.evaluation.prosody import ProsodyFigures, manifest_figures
from polyvox.evaluation.style_fit import (
    condition_separation, drawn_styles, held_out_sentences, label_rows, mean_distance, nearest_label_shares,
    rendered_figures, sentence_conditions, shuffled, train_sampler_alone,
)
from polyvox.evaluation.style_voice import SAMPLER_LEARNING_RATE_FACTOR, finetune_style_voice
from polyvox.inference.voice import Voice

SPEAKERS = ("en_f3", "en_m1")
CORPUS_COMMAND = "polyvox corpus --languages en --speakers 2 --utterances 60 --seed 11 --styles excited,calm,neutral --style-by sentence"
HELD_OUT_SEED = 12345
LEARNING_RATE = 5e-4
# (d): the voice's sampler trained on alone, on the corpus's conditions and label rows (seconds on a CPU).
ALONE_STEPS = 2000
ALONE_LEARNING_RATE = 1e-3
DEFAULT_STEPS = 300


def style_table(voice: Voice, held_out: dict[str, list[str]], seeds: list[int]) -> dict[str, Any]:
    """(a): per speaker, each kind's draws against the label rows, sampled and under the two controls."""
    rows = label_rows(voice)
    controls = shuffled(held_out, HELD_OUT_SEED)
    table: dict[str, Any] = {}
    for speaker in SPEAKERS:
        table[speaker] = {}
        for kind, texts in held_out.items():
            draws = {
                "sampled": drawn_styles(voice, texts, speaker, seeds),
                "other sentence's condition": drawn_styles(voice, texts, speaker, seeds, condition_texts=controls[kind]),
                "scale 0": drawn_styles(voice, texts, speaker, seeds, scale=0.0),
            }
            table[speaker][kind] = {
                name: {
                    "nearest": nearest_label_shares(styles, rows),
                    "distance_to": {label: round(mean_distance(styles, row), 4) for label, row in rows.items()},
                }
                for name, styles in draws.items()
            }
    return table


def condition_table(voice: Voice, manifest: Path, held_out: dict[str, list[str]]) -> dict[str, Any]:
    """(c): per speaker, whether the sampler's condition carries the kind at all (``condition_separation``)."""
    utterances = read_manifest(manifest)
    table: dict[str, Any] = {}
    for speaker in SPEAKERS:
        train = {
            kind: sentence_conditions(voice, [u.text for u in utterances if u.speaker == speaker and sentence_kind(u.text) == kind], speaker)
            for kind in held_out
        }
        table[speaker] = condition_separation(train, {kind: sentence_conditions(voice, texts, speaker) for kind, texts in held_out.items()})
    return table


def prosody_table(
    voice: Voice, manifest: Path, held_out: dict[str, list[str]], seeds: list[int], sampled_only: bool = False
) -> dict[str, Any]:
    """(b): per speaker and kind, the corpus clips' figures and the voice's under each condition (``sampled_only``:
    sampled styles alone)."""
    corpus = manifest_figures(read_manifest(manifest), voice.sample_rate)
    table: dict[str, Any] = {}
    for speaker in SPEAKERS:
        table[speaker] = {}
        for kind, texts in held_out.items():
            label = SENTENCE_KIND_STYLES[kind]
            if sampled_only:
                table[speaker][kind] = {"sampled": rendered_figures(voice, texts, speaker, seeds, style="sample").to_dict()}
                continue
            spoken: dict[str, ProsodyFigures] = {
                "corpus clips": corpus[(speaker, label)],
                "sampled": rendered_figures(voice, texts, speaker, seeds, style="sample"),
                "sampled, scale 0": rendered_figures(voice, texts, speaker, seeds, style="sample", style_scale=0.0),
                f"--emotion {label}": rendered_figures(voice, texts, speaker, seeds, emotion=label),
            }
            if label != "neutral":
                spoken["--emotion neutral"] = rendered_figures(voice, texts, speaker, seeds, emotion="neutral")
            table[speaker][kind] = {name: figures.to_dict() for name, figures in spoken.items()}
    return table


def _section(title: str, note: str, columns: tuple[str, ...]) -> list[str]:
    """A table's heading, its note and its header rows."""
    return ["", f"## {title}", "", note, "", f"| {' | '.join(columns)} |", "|" + "---|" * len(columns)]


def _style_rows(styles: dict[str, Any]) -> list[str]:
    rows = []
    for speaker, kinds in styles.items():
        for kind, draws in kinds.items():
            own = SENTENCE_KIND_STYLES[kind]
            for name, figures in draws.items():
                shares = [
                    f"**{figures['nearest'][label]:.2f}**" if label == own else f"{figures['nearest'][label]:.2f}"
                    for label in ("excited", "calm", "neutral")
                ]
                rows.append(f"| {speaker} | {kind} | {name} | {' | '.join(shares)} | {figures['distance_to']['excited']:.3f} |")
    return rows


def _prosody_rows(prosody: dict[str, Any]) -> list[str]:
    return [
        f"| {speaker} | {kind} | {name} | {_cell(values['f0_mean_hz'])} | {_cell(values['f0_range_semitones'], '.1f')} | "
        f"{_cell(values['phonemes_per_second'], '.1f')} | {_cell(values['rms_db'], '.1f')} | {_cell(values['voiced_fraction'], '.2f')} |"
        for speaker, kinds in prosody.items()
        for kind, conditions in kinds.items()
        for name, values in conditions.items()
    ]


def markdown(results: dict[str, Any]) -> str:
    lines = [
        "# Does a sampled style fit the sentence? (#20 item 2)",
        "",
        f"Voice: {results['voice']}. Corpus: `{results['corpus']}`. Held out: {results['per_kind']} sentences of each kind "
        f"(seed {HELD_OUT_SEED}), {len(results['seeds'])} seeds each, per speaker.",
    ]
    lines += _section(
        "(a) Sampled styles against the label rows",
        "Share of draws nearest each label's row (chance: a third each); the kind's own label in bold. Controls keep "
        "the sampler but take the text away: another sentence's condition (drawn from all kinds), and --style-scale 0.",
        ("speaker", "kind", "draws", "excited", "calm", "neutral", "distance to excited"),
    )
    lines += _style_rows(results["styles"])
    lines += _section(
        "(b) Spoken: prosody of each kind",
        "Mean over the held-out sentences x seeds (the corpus: its clips of that kind). F0 by WORLD DIO + StoneMask, "
        "silent ends cut; rate in the front end's sounds per second.",
        ("speaker", "kind", "condition", "F0 mean Hz", "F0 range st", "sounds/s", "energy dB", "voiced"),
    )
    lines += _prosody_rows(results["prosody"])
    lines += _section(
        "(c) Does the condition carry the kind?",
        "The sampler's condition (text states averaged over the sentence, beside the speaker vector) of each speaker's "
        "corpus sentences and of the held-out ones: the held-out share a nearest-centroid reader (channels standardised) "
        "places in the right kind (chance 0.33), and the kinds' centroids' distances beside a condition's mean distance "
        "from its own kind's centroid.",
        ("speaker", "held-out accuracy", "exclamation-question", "exclamation-statement", "question-statement", "within a kind"),
    )
    for speaker, separation in results.get("condition", {}).items():
        distances = separation["centroid_distances"]
        lines.append(
            f"| {speaker} | {separation['held_out_accuracy']:.2f} | {distances['exclamation-question']:.3f} | "
            f"{distances['exclamation-statement']:.3f} | {distances['question-statement']:.3f} | {separation['within_kind_distance']:.3f} |"
        )
    alone = results.get("sampler_alone")
    if alone:
        lines += _section(
            f"(d) The same sampler trained alone {alone['steps']} more steps",
            f"The voice's sampler trained on its own (learning rate {alone['learning_rate']:g}, batch 16; nothing else moves) "
            "on what the fine-tune fed it: each corpus clip's condition and its label's row. Its flow-matching loss went "
            f"from {alone['loss_first_last_100'][0]:.3f} to {alone['loss_first_last_100'][1]:.3f} (mean of the first and "
            "last 100 steps). Then (a) and the sampled speech of (b) again.",
            ("speaker", "kind", "draws", "excited", "calm", "neutral", "distance to excited"),
        )
        lines += _style_rows(alone["styles"])
        lines += ["", "| speaker | kind | condition | F0 mean Hz | F0 range st | sounds/s | energy dB | voiced |", "|---|---|---|---|---|---|---|---|"]
        lines += _prosody_rows(alone["prosody"])
    return "\n".join(lines)


def _cell(value: float | None, spec: str = ".0f") -> str:
    return "-" if value is None else format(value, spec)


def own_voice(work: Path, manifest: Path, steps: int) -> tuple[Path, str]:
    """The work folder's style voice, fine-tuned here unless an earlier run of the same --steps made it."""
    path, record = work / f"style_voice_{steps}.safetensors", work / f"style_voice_{steps}.json"
    made = (
        f"the bundled voice fine-tuned {steps} steps (every part, float32, lr {LEARNING_RATE:g}, labels and a sampler "
        f"reading a standardized condition at lr {SAMPLER_LEARNING_RATE_FACTOR * LEARNING_RATE:g})"
    )
    if not path.is_file() or not record.is_file() or json.loads(record.read_text())["made"] != made:
        torch.manual_seed(0)
        finetune_style_voice(manifest, work / f"run_{steps}", path, steps, LEARNING_RATE, progress=True)
        write_json(record, {"made": made})
    return path, made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=Path("runs/style_fit"), help="corpus and fine-tune folder")
    parser.add_argument("--steps", type=int, default=DEFAULT_STEPS, help="fine-tune steps (other than 300: results in style_fit_<steps>_steps.*)")
    parser.add_argument("--voice", type=Path, help="a style voice with the labels excited, calm, neutral (skips the fine-tune)")
    parser.add_argument("--corpus", type=Path, help="a corpus made by --style-by sentence (default: made in --work)")
    parser.add_argument("--per-kind", type=int, default=8, help="held-out sentences of each kind")
    parser.add_argument("--seeds", type=int, default=3, help="draws per sentence")
    arguments = parser.parse_args()
    started = time.perf_counter()
    corpus = arguments.corpus or arguments.work / "corpus"
    if not (corpus / "manifest.jsonl").is_file():
        generate_corpus(corpus, ["en"], len(SPEAKERS), 60, seed=11, progress=False, styles=tuple(SENTENCE_KIND_STYLES.values()), style_by="sentence")
    manifest = corpus / "manifest.jsonl"
    if arguments.voice is None:
        voice_path, made = own_voice(arguments.work, manifest, arguments.steps)
    else:
        voice_path, made = arguments.voice, f"{arguments.voice} (given)"
    voice = Voice.load(voice_path)
    held_out = held_out_sentences("en", arguments.per_kind, HELD_OUT_SEED, {u.text for u in read_manifest(manifest)})
    seeds = list(range(arguments.seeds))
    results = {
        "voice": made,
        "corpus": CORPUS_COMMAND,
        "per_kind": arguments.per_kind,
        "seeds": seeds,
        "held_out": held_out,
        "styles": style_table(voice, held_out, seeds),
        "condition": condition_table(voice, manifest, held_out),
    }
    results["prosody"] = prosody_table(voice, manifest, held_out, seeds)
    losses = train_sampler_alone(voice, read_manifest(manifest), ALONE_STEPS, ALONE_LEARNING_RATE)
    results["sampler_alone"] = {
        "steps": ALONE_STEPS,
        "learning_rate": ALONE_LEARNING_RATE,
        "loss_first_last_100": [round(sum(losses[:100]) / 100, 4), round(sum(losses[-100:]) / 100, 4)],
        "styles": style_table(voice, held_out, seeds),
        "prosody": prosody_table(voice, manifest, held_out, seeds, sampled_only=True),
    }
    results["elapsed_s"] = round(time.perf_counter() - started, 1)
    name = "style_fit" if arguments.steps == DEFAULT_STEPS or arguments.voice else f"style_fit_{arguments.steps}_steps"
    write_json(RESULTS / f"{name}.json", results)
    write_text(RESULTS / f"{name}.md", markdown(results) + "\n")
    print(markdown(results))


if __name__ == "__main__":
    main()
