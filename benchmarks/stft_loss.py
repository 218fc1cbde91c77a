"""The multi-resolution STFT loss, A/B: one checkpoint of the default-voice recipe, trained on twice.

Both arms resume the same checkpoint of ``recipes/default_voice.py`` (same data order, same random
state) for the same number of steps, one with ``training.stft_loss_weight = 0`` and one with the
weight the small preset now uses. Each runs in its own process on one thread, side by side.

Measured on each arm's output voice:

* frame-rate buzz (``polyvox.evaluation.buzz``): copy-synthesis (reference mel -> posterior encoder ->
  decoder) of 24 corpus clips, the real cepstrum's peak at the quefrency of one hop (256 samples, 86 Hz).
  A decoder that repeats a pattern every hop puts a comb of lines 86 Hz apart over the spectrum and a
  peak there; espeak-ng's references have almost none (~0.02);
* ``benchmarks/default_voice_quality.py``'s figures (MCD-DTW, F0, V/UV, duration) on held-out sentences.

    python benchmarks/stft_loss.py --work runs/default --checkpoint 5500 --steps 500

Needs a recipe work folder with checkpoints (``python recipes/default_voice.py --work runs/default``);
writes benchmarks/results/stft_loss.json and works in benchmarks/results/stft_loss/.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
BUZZ_CLIPS = 24


def buzz_of(voice_path: Path | None, manifest: Path, sample_rate: int) -> float:
    """Mean frame-rate buzz of copy-synthesis through ``voice_path`` (None: of the references themselves),
    clips read at ``sample_rate`` (the recipe's voices')."""
    import torch

    from polyvox.audio.io import load_audio
    from polyvox.data.manifest import read_manifest
    from polyvox.evaluation.baselines import CopySynthesis
    from polyvox.evaluation.buzz import frame_rate_buzz
    from polyvox.evaluation.sources import Reference
    from polyvox.inference.voice import Voice

    utterances = read_manifest(manifest)
    picked = [utterances[i] for i in np.random.default_rng(0).choice(len(utterances), BUZZ_CLIPS, replace=False)]
    copy = CopySynthesis(Voice.load(voice_path)) if voice_path is not None else None
    values = []
    with torch.no_grad():
        for utterance in picked:
            samples = np.asarray(load_audio(utterance.audio, sample_rate), dtype=np.float32)
            if copy is not None:
                samples = copy(Reference(utterance.audio, utterance, samples))
            values.append(frame_rate_buzz(samples, sample_rate))
    return float(np.mean(values))


def child(arm_dir: Path, weight: float, steps: int, threads: int) -> None:
    """One arm: resume the copied checkpoint with the recipe's settings and this STFT loss weight."""
    import logging

    import torch

    sys.path.insert(0, str(ROOT / "recipes"))
    import default_voice

    from polyvox.config import preset
    from polyvox.train.run import train

    logging.basicConfig(level=logging.WARNING)
    torch.set_num_threads(threads)
    overrides = {**default_voice.OVERRIDES, "training.max_steps": steps, "training.stft_loss_weight": weight}
    config = preset("small", default_voice.LANGUAGES).replace(**overrides)
    train(arm_dir / "corpus" / "manifest.jsonl", arm_dir / "run", config, resume=True, progress=False)


def prepare_arm(work: Path, checkpoint: Path, arm_dir: Path) -> None:
    """A run folder holding only the shared checkpoint (features cache and corpus linked, not copied)."""
    if arm_dir.exists():
        shutil.rmtree(arm_dir)
    (arm_dir / "run" / "checkpoints").mkdir(parents=True)
    (arm_dir / "corpus").symlink_to((work / "corpus").resolve(), target_is_directory=True)
    (arm_dir / "run" / "cache").symlink_to((work / "run" / "cache").resolve(), target_is_directory=True)
    for name in ("run.json", "data_report.json"):
        shutil.copy(work / "run" / name, arm_dir / "run" / name)
    shutil.copy(checkpoint, arm_dir / "run" / "checkpoints" / checkpoint.name)


def quality(voice: Path, manifest: Path, per_language: int, folder: Path) -> dict[str, Any]:
    command = [
        sys.executable, str(ROOT / "benchmarks" / "default_voice_quality.py"), "--voice", str(voice),
        "--per-language", str(per_language), "--train-manifest", str(manifest), "--results", str(folder),
        "--no-docs-images",
    ]
    subprocess.run(command, check=True, capture_output=True, text=True)
    summary = json.loads((folder / "default_voice_quality.json").read_text())
    return {
        language: {system: {metric: values["mean"] for metric, values in figures.items()} for system, figures in systems.items()}
        for language, systems in summary["by_language"].items()
    }


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
        arm_dir, weight, steps, threads = arguments.child
        child(Path(arm_dir), float(weight), int(steps), int(threads))
        return

    from polyvox.config import preset
    from polyvox.files import atomic_path

    weight = arguments.weight if arguments.weight is not None else preset("small").training.stft_loss_weight
    checkpoints = {int(path.stem.split("-")[1]): path for path in (arguments.work / "run" / "checkpoints").glob("step-*.ckpt")}
    if not checkpoints:
        raise SystemExit(f"no checkpoints in {arguments.work / 'run' / 'checkpoints'}: run recipes/default_voice.py first")
    start = arguments.checkpoint if arguments.checkpoint is not None else max(checkpoints)
    if start not in checkpoints:
        raise SystemExit(f"no checkpoint of step {start}; there are {sorted(checkpoints)}")
    arms = {"without": 0.0, "with": weight}
    processes = {}
    for arm, arm_weight in arms.items():
        prepare_arm(arguments.work, checkpoints[start], arguments.out / arm)
        command = [sys.executable, __file__, "--child", str(arguments.out / arm), str(arm_weight),
                   str(start + arguments.steps), str(arguments.threads)]
        processes[arm] = subprocess.Popen(command)
    print(f"training both arms from step {start} for {arguments.steps} steps (STFT loss weight 0 and {weight:g})", flush=True)
    for arm, process in processes.items():
        if process.wait() != 0:
            raise SystemExit(f"the arm {arm!r} failed (exit {process.returncode})")

    manifest = arguments.work / "corpus" / "manifest.jsonl"
    sample_rate = preset("small").audio.sample_rate  # the recipe's (frame rate: sample rate / hop)
    result: dict[str, Any] = {
        "start_step": start, "steps": arguments.steps, "weight": weight, "threads_per_arm": arguments.threads,
        "buzz": {"references": buzz_of(None, manifest, sample_rate)}, "quality": {},
    }
    for arm in arms:
        voice = arguments.out / arm / "run" / "voice.safetensors"
        result["buzz"][arm] = buzz_of(voice, manifest, sample_rate)
        result["quality"][arm] = quality(voice, manifest, arguments.per_language, arguments.out / f"{arm}_quality")
    print(f"\nframe-rate buzz of copy-synthesis (cepstral peak at one hop; references {result['buzz']['references']:.3f}):")
    for arm in arms:
        print(f"  {arm:>8} the STFT loss: {result['buzz'][arm]:.3f}")
    print("\nMCD-DTW dB, voice (copy-synthesis), V/UV error of the voice:")
    print(f"  {'language':8}  {'without':>22}  {'with':>22}")
    for language in result["quality"]["without"]:
        cells = []
        for arm in arms:
            figures = result["quality"][arm][language]
            voice_figures, copy_figures = figures["voice"], figures["copy-synthesis"]
            cells.append(f"{voice_figures['mcd_db']:.2f} ({copy_figures['mcd_db']:.2f}) {voice_figures['voicing_error']:.3f}")
        print(f"  {language:8}  {cells[0]:>22}  {cells[1]:>22}")
    output = RESULTS / "stft_loss.json"
    with atomic_path(output) as temporary:
        temporary.write_text(json.dumps(result, indent=1))
    print(f"\nwrote {output}")


if __name__ == "__main__":
    main()
