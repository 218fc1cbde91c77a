"""Does a voice render style labels learned from natural speech? (#20 item 4, on a teacher corpus).

1. A teacher corpus in five styles, as `polyvox corpus --languages en --speakers 1 --utterances 150 --seed 5
   --teacher piper --styles neutral,calm,excited,sad,whisper` makes it: Piper's joe (real, CC0 recordings behind him)
   says every clip, and each label's style is put on his speech by WORLD (data/corpus/teacher_styles.py); 30 clips of
   each. Or --corpus.
2. A style voice: --from VOICE (a voice polyvox reads; imported joe for the natural voice that can render pitch)
   fine-tuned --steps with the labels and a style sampler (polyvox.evaluation.style_voice: float32, the sampler's
   condition standardized at 4 x the rate and fitted when the run ends), --freeze keep-decoder; or --voice.
3. With --match-style, a copy of the voice takes the correction polyvox finetune --match-style stores (each label's gap
   to the corpus's shift from neutral: pitch, range, whisper, level), and is measured beside it, with DNSMOS of both.
4. Sentences outside the corpus, spoken by the corpus's speaker under each label (--emotion) and with a corpus clip
   of each style as --style-reference: F0 mean and range, rate, energy and voicing against the neutral label
   (evaluation/prosody.py), beside the corpus's own clips of each label against its neutral clips (rate: the front
   end's sounds per second).

Writes benchmarks/results/teacher_styles.{json,md} and docs/images/teacher_style_shifts.png.

    python benchmarks/teacher_styles.py --from joe.safetensors --corpus runs/teacher_styles/corpus
    python benchmarks/teacher_styles.py --voice styled.safetensors --corpus runs/teacher_styles/corpus   # figures only
    python benchmarks/teacher_styles.py --from joe.safetensors --corpus runs/teacher_styles/corpus --match-style --name teacher_styles_matched
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from finetune_support import DOCS_IMAGES, RESULTS, pyplot, save_figure, write_json, write_text

from polyvox.data.corpus.generator import frontend_token_source
from polyvox.data.manifest import Utterance, read_manifest
from polyvox.evaluation.prosody import ProsodyFigures, mean_figures, prosody_figures, prosody_shift, spoken_figures, spoken_phonemes
from polyvox.inference.voice import Voice

STYLES = ("neutral", "calm", "excited", "sad", "whisper")
CORPUS_COMMAND = ("polyvox corpus {folder} --languages en --speakers 1 --utterances 150 --seed 5 --teacher piper "
                  "--styles neutral,calm,excited,sad,whisper")
TEXTS = (
    "We left the house at noon and walked down to the river.",
    "My sister bought a small red car last winter.",
    "The children played in the garden until dark.",
    "Please put the books back on the shelf by the window.",
    "Our train was late, so we waited on the cold platform.",
    "He painted the old fence green before the summer rain.",
)
MEASURES = (("f0_semitones", "F0 mean (semitones)", "+.1f"), ("range_semitones", "F0 range (semitones)", "+.1f"),
            ("rate_ratio", "rate (x neutral)", ".2f"), ("energy_db", "energy (dB)", "+.1f"))
# The voice after polyvox finetune --match-style's correction (--match-style here), asked for each label.
MATCHED = "--emotion, matched"
MATCHED_REFERENCE = "--style-reference, matched"
# A voice follows a label's move when its shift goes the corpus's way by at least this share of the corpus's shift.
FOLLOWED_SHARE = 0.25
COLOURS = {"corpus": "tab:orange", "--emotion": "tab:green", "--style-reference": "tab:blue", MATCHED: "tab:red",
           MATCHED_REFERENCE: "tab:purple"}


def corpus_figures(corpus: list[Utterance], sample_rate: int) -> dict[str, ProsodyFigures]:
    """Mean figures of each style's clips; the rate counts the front end's sounds of each text (a teacher that gives
    no timing leaves the clips without phonemes)."""
    from polyvox.audio.io import load_audio

    tokens_of = frontend_token_source(["en"])
    groups: dict[str, list[ProsodyFigures]] = {}
    for utterance in corpus:
        sounds = spoken_phonemes(utterance.phonemes or tokens_of(utterance.text, utterance.language) or ())
        groups.setdefault(utterance.style or "", []).append(
            prosody_figures(load_audio(utterance.audio, sample_rate), sample_rate, sounds or None))
    return {style: mean_figures(group) for style, group in groups.items()}


def longest_clip(utterances: list[Utterance], style: str) -> str:
    return max((u for u in utterances if u.style == style), key=lambda u: u.duration).audio


def figures(voice: Voice, corpus: list[Utterance], matched: Voice | None = None) -> dict[str, Any]:
    speaker = corpus[0].speaker
    clips = corpus_figures(corpus, voice.sample_rate)
    groups = {
        "corpus": {style: clips[style] for style in STYLES},
        "--emotion": {style: spoken_figures(voice, TEXTS, (speaker,), emotion=style) for style in STYLES},
        "--style-reference": {style: spoken_figures(voice, TEXTS, (speaker,), style_reference=longest_clip(corpus, style)) for style in STYLES},
    }
    if matched is not None:
        groups[MATCHED] = {style: spoken_figures(matched, TEXTS, (speaker,), emotion=style) for style in STYLES}
        groups[MATCHED_REFERENCE] = {style: spoken_figures(matched, TEXTS, (speaker,), style_reference=longest_clip(corpus, style))
                                     for style in STYLES}
    return {
        "speaker": speaker,
        "figures": {name: {style: value.to_dict() for style, value in group.items()} for name, group in groups.items()},
        "shifts": {name: {style: prosody_shift(group[style], group["neutral"]).to_dict() for style in STYLES} for name, group in groups.items()},
    }


def label_quality(voice: Voice, speaker: str) -> dict[str, float]:
    """DNSMOS OVRL of each label's speech (TEXTS, seeds 0-5), the mean: what a correction by WORLD costs in sound."""
    from polyvox.audio.io import resample
    from polyvox.evaluation.dnsmos import DNSMOS_SAMPLE_RATE, Dnsmos

    judge = Dnsmos()
    return {style: round(float(np.mean([
        judge(resample(voice.synthesize(text, speaker=speaker, emotion=style, seed=index).samples, voice.sample_rate, DNSMOS_SAMPLE_RATE)).ovrl
        for index, text in enumerate(TEXTS)
    ])), 3) for style in STYLES}


def followed(results: dict[str, Any], source: str = "--emotion") -> dict[str, dict[str, bool | None]]:
    """Per label and measure: does the voice's ``source`` shift go the corpus's way by at least a quarter of the
    corpus's own shift (None: no F0 to compare, or the corpus itself barely moves it)?"""
    small = {"f0_semitones": 0.5, "range_semitones": 0.5, "rate_ratio": 0.05, "energy_db": 0.5}
    verdicts: dict[str, dict[str, bool | None]] = {}
    for style in STYLES[1:]:
        verdicts[style] = {}
        for key, _, _ in MEASURES:
            data, voice = results["shifts"]["corpus"][style][key], results["shifts"][source][style][key]
            centre = 1.0 if key == "rate_ratio" else 0.0
            if data is None or voice is None or abs(data - centre) < small[key] or (style == "whisper" and "semitones" in key):
                verdicts[style][key] = None
            else:
                verdicts[style][key] = (data - centre) * (voice - centre) >= FOLLOWED_SHARE * (data - centre) ** 2
    return verdicts


def draw(results: dict[str, Any], path: Path) -> None:
    plt = pyplot()
    labels = list(STYLES[1:])
    figure, axes = plt.subplots(1, len(MEASURES), figsize=(15, 3.6))
    for axis, (key, title, _) in zip(axes, MEASURES):
        centre = 1.0 if key == "rate_ratio" else 0.0
        sources = [source for source in COLOURS if source in results["shifts"]]
        width = 0.8 / len(sources)
        for number, source in enumerate(sources):
            values = [results["shifts"][source][label][key] for label in labels]
            values = [np.nan if v is None or (label == "whisper" and "semitones" in key) else v - centre for v, label in zip(values, labels)]
            offset = (number - (len(sources) - 1) / 2) * width
            axis.bar(np.arange(len(labels)) + offset, values, width, bottom=centre, color=COLOURS[source], label=source)
        axis.set_xticks(np.arange(len(labels)), labels)
        axis.axhline(centre, color="black", linewidth=0.8)
        axis.set_title(title)
        axis.grid(alpha=0.3, axis="y")
    axes[0].legend(fontsize=8)
    figure.suptitle(f"each label against neutral: the corpus ({results['speaker']}, WORLD-styled) and the fine-tuned voice "
                    f"({len(TEXTS)} sentences outside it; whisper's F0 is not drawn)")
    save_figure(figure, path)


def markdown(results: dict[str, Any]) -> str:
    lines = [
        "# A voice's style labels, learned from natural speech (#20 item 4)",
        "",
        f"Corpus: `{results['corpus_command']}`. Voice: {results['voice']}. Sentences: {len(TEXTS)} outside the corpus, "
        "seeds 0-5. Shifts against the neutral label (the corpus: its neutral clips); F0 by WORLD DIO + StoneMask, silent "
        "ends cut; rate in the front end's sounds per second (corpus) or by the length of the same texts (voice).",
        "",
        "| label | source | F0 Hz | F0 st | range st | rate x | energy dB | voiced |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for style in STYLES:
        for source in (source for source in COLOURS if source in results["figures"]):
            values, shift = results["figures"][source][style], results["shifts"][source][style]
            cells = [_cell(shift[key], spec) for key, _, spec in MEASURES]
            lines.append(f"| {style} | {source} | {_cell(values['f0_mean_hz'], '.0f')} | {' | '.join(cells)} | {values['voiced_fraction']:.2f} |")
    lines += ["", f"Does --emotion move each figure the corpus's way, by at least {FOLLOWED_SHARE:.0%} of the corpus's move? "
              "(- : no pitch to compare, or the corpus barely moves it)", "",
              "| label | " + " | ".join(title for _, title, _ in MEASURES) + " |", "|---|" + "---|" * len(MEASURES)]
    for style, verdicts in results["followed"].items():
        lines.append(f"| {style} | " + " | ".join("-" if v is None else ("yes" if v else "**no**") for v in verdicts.values()) + " |")
    for key, source in (("followed_matched", MATCHED), ("followed_matched_reference", MATCHED_REFERENCE)):
        if key not in results:
            continue
        lines += ["", f"The same for the voice after `--match-style` ({source}):", "",
                  "| label | " + " | ".join(title for _, title, _ in MEASURES) + " |", "|---|" + "---|" * len(MEASURES)]
        for style, verdicts in results[key].items():
            lines.append(f"| {style} | " + " | ".join("-" if v is None else ("yes" if v else "**no**") for v in verdicts.values()) + " |")
    if "match" in results:
        lines += ["", "The correction stored (`polyvox.finetune.style_match`, on the corpus):", ""]
        lines += [f"- {line}" for line in results["match"]]
    if "dnsmos_ovrl" in results:
        lines += ["", "DNSMOS OVRL of each label's speech (the same sentences and seeds), as trained and after the correction:", "",
                  "| label | " + " | ".join(results["dnsmos_ovrl"]) + " |", "|---|" + "---|" * len(results["dnsmos_ovrl"])]
        for style in STYLES:
            lines.append(f"| {style} | " + " | ".join(f"{scores[style]:.2f}" for scores in results["dnsmos_ovrl"].values()) + " |")
    return "\n".join(lines) + "\n"


def _cell(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, required=True, help=f"a styled teacher corpus ({CORPUS_COMMAND.format(folder='FOLDER')})")
    parser.add_argument("--from", dest="source", type=Path, help="the voice to fine-tune (e.g. joe imported by polyvox import-voice)")
    parser.add_argument("--voice", type=Path, help="a style voice with the corpus's labels (skips the fine-tune)")
    parser.add_argument("--work", type=Path, default=Path("runs/teacher_styles"))
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--learning-rate", type=float, default=2e-4)
    parser.add_argument("--freeze", default="keep-decoder")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--made", help="with --voice: how that voice was made (written into the results)")
    parser.add_argument("--name", default="teacher_styles", help="results/NAME.{json,md} and docs/images/NAME_shifts.png")
    parser.add_argument("--match-style", action="store_true",
                        help="also measure the voice after polyvox finetune --match-style's correction (WORK/matched.safetensors), "
                             "and DNSMOS of both")
    arguments = parser.parse_args()
    torch.set_num_threads(arguments.threads)
    started = time.monotonic()
    if arguments.voice is None:
        if arguments.source is None:
            parser.error("give --from VOICE to fine-tune, or --voice STYLE_VOICE")
        from polyvox.evaluation.style_voice import finetune_style_voice

        torch.manual_seed(0)
        arguments.voice = finetune_style_voice(
            arguments.corpus / "manifest.jsonl", arguments.work / "run", arguments.work / "style_voice.safetensors",
            arguments.steps, arguments.learning_rate, progress=True, source=arguments.source, freeze=arguments.freeze,
        )
        made = f"{arguments.source.name} fine-tuned {arguments.steps} steps (--freeze {arguments.freeze}, lr {arguments.learning_rate:g}, labels and sampler)"
    else:
        made = arguments.made or str(arguments.voice)
    corpus = read_manifest(arguments.corpus / "manifest.jsonl")
    matched, matches = None, []
    if arguments.match_style:
        import shutil

        from polyvox.finetune.style_match import match_style_prosody

        arguments.work.mkdir(parents=True, exist_ok=True)
        matched_path = Path(shutil.copy(arguments.voice, arguments.work / "matched.safetensors"))
        matches = [match.describe() for match in match_style_prosody(matched_path, corpus, half=True)]
        matched = Voice.load(matched_path)
    voice = Voice.load(arguments.voice)
    results = figures(voice, corpus, matched)
    results["followed"] = followed(results)
    if matched is not None:
        results.update(followed_matched=followed(results, MATCHED), followed_matched_reference=followed(results, MATCHED_REFERENCE),
                       match=matches, dnsmos_ovrl={
            "--emotion": label_quality(voice, corpus[0].speaker), MATCHED: label_quality(matched, corpus[0].speaker)})
    results.update(voice=made, corpus_command=CORPUS_COMMAND.format(folder=arguments.corpus), seconds=round(time.monotonic() - started, 1))
    write_json(RESULTS / f"{arguments.name}.json", results)
    write_text(RESULTS / f"{arguments.name}.md", markdown(results))
    draw(results, DOCS_IMAGES / ("teacher_style_shifts.png" if arguments.name == "teacher_styles" else f"{arguments.name}_shifts.png"))
    print(markdown(results))


if __name__ == "__main__":
    main()
