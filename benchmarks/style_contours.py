"""F0 contours of one sentence under each style: the styled corpus, and a voice that learned it (#20 items 4 and 6).

1. A styled corpus, as `polyvox corpus --languages en --speakers 2 --utterances 50 --seed 11
   --styles neutral,calm,excited,sad,whisper` makes it (en_f3 and en_m1, 10 clips of each style each).
2. A style voice: the bundled voice fine-tuned on it with style labels and a style sampler (every part, float32,
   learning rate 5e-4, --steps, default 300: ~5 min at one CPU thread; polyvox.evaluation.style_voice), or --voice.
3. A sentence outside the corpus, spoken by en_f3: by espeak-ng with each style's settings (what the corpus holds),
   and by the voice under each label, its neutral style, a style reference (one corpus clip of each style) and
   sampled styles (--style sample, seeds 1-3). Its F0 (evaluation's DIO + StoneMask) is drawn against time.

Writes docs/images/style_contours.png (labels: espeak-ng beside the voice), docs/images/style_reference_sampled.png,
docs/images/style_shifts.png (each label's F0, rate and energy against neutral, corpus beside voice) and
benchmarks/results/style_contours.{json,md}: each condition's F0 mean and range, voiced fraction, duration and
energy over four sentences (evaluation/prosody.py), per speaker, beside the corpus's own clips.

    python benchmarks/style_contours.py                      # corpus, fine-tune, figures (a second run reuses both)
    python benchmarks/style_contours.py --voice styled.safetensors --corpus work/corpus   # figures only
"""

from __future__ import annotations

import argparse
import json
import shutil
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from finetune_support import DOCS_IMAGES, RESULTS, pyplot, save_figure, write_json, write_text

from polyvox.audio.io import resample
from polyvox.audio.prosody_shape import applied_gain
from polyvox.data.corpus import generate_corpus
from polyvox.data.corpus.espeak_engine import EspeakEngine
from polyvox.data.corpus.speakers import speaker_from_name
from polyvox.data.corpus.styles import CORPUS_STYLES
from polyvox.data.manifest import read_manifest
from polyvox.evaluation.prosody import ProsodyFigures, manifest_figures, prosody_shift, spoken_figures
from polyvox.evaluation.score_check import track_f0
from polyvox.evaluation.style_voice import finetune_style_voice
from polyvox.inference.voice import Voice

STYLES = ("neutral", "calm", "excited", "sad", "whisper")
SPEAKERS = ("en_f3", "en_m1")
SENTENCE = "We left the house at noon and walked down to the river."
TEXTS = (
    SENTENCE,
    "Is it time yet, or do we wait for the others?",
    "My sister bought a small red car last winter.",
    "The children played in the garden until dark.",
)
SAMPLE_SEEDS = (1, 2, 3)
LEARNING_RATE = 5e-4
COLOURS = {"neutral": "black", "calm": "tab:blue", "excited": "tab:red", "sad": "tab:purple", "whisper": "tab:gray"}


def espeak_samples(engine: EspeakEngine, text: str, speaker: str, style: str, sample_rate: int) -> np.ndarray:
    """``text`` as the corpus would have ``speaker`` say it in ``style``."""
    synthesis = engine.synthesize(text, CORPUS_STYLES[style].settings_for(speaker_from_name(speaker)))
    samples = resample(synthesis.samples.astype(np.float32) / 32768.0, synthesis.sample_rate, sample_rate)
    return applied_gain(samples, CORPUS_STYLES[style].gain_db)


def contour(samples: np.ndarray, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """(times in s, F0 in Hz with NaN where unvoiced): what a plot draws."""
    times, f0 = track_f0(samples, sample_rate)
    return times, np.where(f0 > 0, f0, np.nan)


def voice_conditions(manifest: Path) -> dict[str, dict[str, Any]]:
    """Each condition the voice speaks in: its name -> request options (the speaker's longest clip of a style as its
    reference)."""
    clips = {u.style: u.audio for u in sorted(read_manifest(manifest), key=lambda u: u.duration) if u.speaker == SPEAKERS[0]}
    conditions: dict[str, dict[str, Any]] = {"neutral style": {}}
    conditions.update({style: {"emotion": style} for style in STYLES})
    conditions.update({f"reference: {style} clip": {"style_reference": clips[style]} for style in ("sad", "excited", "calm")})
    conditions.update({f"sampled, seed {seed}": {"style": "sample", "seed": seed} for seed in SAMPLE_SEEDS})
    return conditions


def draw_labels(voice: Voice, engine: EspeakEngine, path: Path, steps: str) -> None:
    plt = pyplot()
    figure, (data_axis, voice_axis) = plt.subplots(1, 2, figsize=(13, 4.2), sharey=True)
    for style in STYLES:
        data_axis.plot(*contour(espeak_samples(engine, SENTENCE, SPEAKERS[0], style, voice.sample_rate), voice.sample_rate),
                       color=COLOURS[style], label=style)
        samples = voice.synthesize(SENTENCE, speaker=SPEAKERS[0], emotion=style, seed=0).samples
        voice_axis.plot(*contour(samples, voice.sample_rate), color=COLOURS[style], label=style)
    data_axis.set_title(f"espeak-ng, the corpus's settings ({SPEAKERS[0]})")
    voice_axis.set_title(f"the bundled voice fine-tuned on the corpus ({steps}), --emotion")
    for axis in (data_axis, voice_axis):
        axis.set_xlabel("time (s)")
        axis.grid(alpha=0.3)
    data_axis.set_ylabel("F0 (Hz; gaps: unvoiced)")
    voice_axis.legend(loc="upper right")
    figure.suptitle(f'"{SENTENCE}"')
    save_figure(figure, path)


def draw_reference_and_samples(voice: Voice, conditions: dict[str, dict[str, Any]], path: Path) -> None:
    plt = pyplot()
    figure, (reference_axis, sample_axis) = plt.subplots(1, 2, figsize=(13, 4.2), sharey=True)
    for name, options in conditions.items():
        if name.startswith("reference") or name == "neutral style":
            axis, colour = reference_axis, COLOURS[name.split()[-2]] if name.startswith("reference") else "black"
        elif name.startswith("sampled"):
            axis, colour = sample_axis, None
        else:
            continue
        samples = voice.synthesize(SENTENCE, speaker=SPEAKERS[0], **{"seed": 0, **options}).samples
        axis.plot(*contour(samples, voice.sample_rate), color=colour, label=name)
    sample_axis.plot(*contour(voice.synthesize(SENTENCE, speaker=SPEAKERS[0], seed=0).samples, voice.sample_rate),
                     color="black", label="neutral style")
    reference_axis.set_title(f"--style-reference (a corpus clip of {SPEAKERS[0]})")
    sample_axis.set_title("--style sample, three seeds")
    for axis in (reference_axis, sample_axis):
        axis.set_xlabel("time (s)")
        axis.grid(alpha=0.3)
        axis.legend(loc="upper right")
    reference_axis.set_ylabel("F0 (Hz; gaps: unvoiced)")
    save_figure(figure, path)


def draw_shifts(table: dict[str, Any], path: Path) -> None:
    """Each label's shift from neutral, the corpus's beside the voice's: F0 mean, rate and energy, per speaker."""
    plt = pyplot()
    measures = (("f0_semitones", "F0 mean (semitones; whisper: none)"), ("rate_ratio", "rate (x neutral)"), ("energy_db", "energy (dB)"))
    labels = [style for style in STYLES if style != "neutral"]
    figure, axes = plt.subplots(1, len(measures), figsize=(13, 3.6))
    width = 0.2
    for axis, (key, title) in zip(axes, measures):
        for number, (speaker, source) in enumerate((s, k) for s in SPEAKERS for k in ("corpus", "voice")):
            shifts = table[speaker][f"{source}_shift_from_neutral" if source == "corpus" else "voice_shift_from_neutral_label"]
            # A whisper's few voiced frames are stray (0-4 % of espeak's): its F0 is no pitch, so it is not drawn.
            values = [np.nan if shifts[label][key] is None or (label, key) == ("whisper", "f0_semitones") else shifts[label][key]
                      for label in labels]
            positions = np.arange(len(labels)) + (number - 1.5) * width
            axis.bar(positions, np.array(values) - (1.0 if key == "rate_ratio" else 0.0), width, bottom=1.0 if key == "rate_ratio" else 0.0,
                     label=f"{speaker} {source}", color=("tab:orange" if source == "corpus" else "tab:green"),
                     alpha=1.0 if speaker == SPEAKERS[0] else 0.5)
        axis.set_xticks(np.arange(len(labels)), labels)
        axis.set_title(title)
        axis.axhline(1.0 if key == "rate_ratio" else 0.0, color="black", linewidth=0.8)
        axis.grid(alpha=0.3, axis="y")
    axes[0].legend(fontsize=8)
    figure.suptitle("each label against neutral: the corpus (espeak-ng) and the fine-tuned voice (4 sentences)")
    save_figure(figure, path)


def figures_table(voice: Voice, manifest: Path, conditions: dict[str, dict[str, Any]]) -> dict[str, Any]:
    corpus = manifest_figures(read_manifest(manifest), voice.sample_rate)
    table: dict[str, Any] = {}
    for speaker in SPEAKERS:
        spoken: dict[str, ProsodyFigures] = {}
        for name, options in conditions.items():
            if name.startswith("reference") and speaker != SPEAKERS[0]:
                continue  # the references are en_f3's clips
            seed = options.get("seed", 0)
            spoken[name] = spoken_figures(voice, TEXTS, (speaker,), seed=seed, **{k: v for k, v in options.items() if k != "seed"})
        table[speaker] = {
            "corpus": {style: corpus[(speaker, style)].to_dict() for style in STYLES},
            "corpus_shift_from_neutral": {style: prosody_shift(corpus[(speaker, style)], corpus[(speaker, "neutral")]).to_dict() for style in STYLES},
            "voice": {name: figures.to_dict() for name, figures in spoken.items()},
            "voice_shift_from_neutral_label": {name: prosody_shift(figures, spoken["neutral"]).to_dict() for name, figures in spoken.items()},
        }
    return table


def markdown(results: dict[str, Any]) -> str:
    lines = [
        "# Style contours (#20 items 4 and 6)",
        "",
        f"Voice: {results['voice']}. Corpus: {results['corpus']}. Figures over {len(TEXTS)} sentences outside the corpus "
        "(voice) or each style's clips (corpus); F0 by WORLD DIO + StoneMask, silent ends cut. Shifts are against the "
        "neutral label (the corpus: its neutral clips): F0 mean in semitones, range in semitones, rate as a ratio "
        "(>1 faster; the corpus's in phonemes per second, the voice's by duration of the same texts), energy in dB, voiced fraction. "
        "A whisper's F0 is that of a few stray voiced frames, not a pitch.",
        "",
    ]
    for speaker, table in results["figures"].items():
        lines += [f"## {speaker}", "", "| condition | F0 mean Hz | F0 st | range st | rate x | energy dB | voiced |", "|---|---|---|---|---|---|---|"]
        for prefix, figures, shifts in (("corpus", table["corpus"], table["corpus_shift_from_neutral"]),
                                        ("voice", table["voice"], table["voice_shift_from_neutral_label"])):
            for name, values in figures.items():
                shift = shifts[name]
                lines.append(
                    f"| {prefix}: {name} | {_cell(values['f0_mean_hz'])} | {_cell(shift['f0_semitones'], '+.1f')} | "
                    f"{_cell(shift['range_semitones'], '+.1f')} | {_cell(shift['rate_ratio'], '.2f')} | "
                    f"{_cell(shift['energy_db'], '+.1f')} | {_cell(values['voiced_fraction'], '.2f')} |"
                )
        lines.append("")
    return "\n".join(lines)


def _cell(value: float | None, spec: str = ".0f") -> str:
    return "-" if value is None else format(value, spec)


def own_voice(arguments: argparse.Namespace, manifest: Path) -> tuple[Path, str]:
    """The work folder's style voice, fine-tuned here unless an earlier run of the same --steps made it (--retrain: again)."""
    path, record = arguments.work / "style_voice.safetensors", arguments.work / "style_voice.json"
    made = f"the bundled voice fine-tuned {arguments.steps} steps (every part, float32, lr {LEARNING_RATE:g}, labels and sampler)"
    if arguments.retrain or not path.is_file() or not record.is_file() or json.loads(record.read_text())["made"] != made:
        if arguments.retrain:
            shutil.rmtree(arguments.work / "run", ignore_errors=True)  # asked for: the earlier fine-tune's checkpoints go
        torch.manual_seed(0)
        finetune_style_voice(manifest, arguments.work / "run", path, arguments.steps, LEARNING_RATE, progress=True)
        write_json(record, {"made": made})
    return path, made


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=Path("runs/style_contours"), help="corpus and fine-tune folder")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--voice", type=Path, help="a style voice with the corpus's labels (skips the fine-tune)")
    parser.add_argument("--corpus", type=Path, help="a styled corpus folder (default: made in --work)")
    parser.add_argument("--retrain", action="store_true", help="fine-tune again (its earlier run folder is deleted) even if --work holds this --steps' voice")
    arguments = parser.parse_args()
    started = time.perf_counter()
    corpus = arguments.corpus or arguments.work / "corpus"
    engine = EspeakEngine()
    if not (corpus / "manifest.jsonl").is_file():
        generate_corpus(corpus, ["en"], len(SPEAKERS), 50, seed=11, progress=False, engine=engine, styles=STYLES)
    manifest = corpus / "manifest.jsonl"
    voice_path, made = own_voice(arguments, manifest) if arguments.voice is None else (arguments.voice, f"{arguments.voice} (given)")
    voice = Voice.load(voice_path)
    conditions = voice_conditions(manifest)
    steps = made.split(" (")[0].removeprefix("the bundled voice fine-tuned ") if arguments.voice is None else "a given voice"
    draw_labels(voice, engine, DOCS_IMAGES / "style_contours.png", steps)
    draw_reference_and_samples(voice, conditions, DOCS_IMAGES / "style_reference_sampled.png")
    results = {
        "voice": made,
        "corpus": "polyvox corpus --languages en --speakers 2 --utterances 50 --seed 11 --styles " + ",".join(STYLES),
        "sentence": SENTENCE,
        "texts": list(TEXTS),
        "figures": figures_table(voice, manifest, conditions),
        "elapsed_s": round(time.perf_counter() - started, 1),
    }
    draw_shifts(results["figures"], DOCS_IMAGES / "style_shifts.png")
    write_json(RESULTS / "style_contours.json", results)
    write_text(RESULTS / "style_contours.md", markdown(results) + "\n")
    print(markdown(results))


if __name__ == "__main__":
    main()
