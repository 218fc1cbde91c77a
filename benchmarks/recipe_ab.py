"""Shared machinery of the recipe A/B benchmarks (stft_loss.py, precision_quality.py).

Every arm resumes the same checkpoint of ``recipes/default_voice.py`` (same data order, same random
state) in its own run folder and trains the same number of steps with its own config overrides; the
arms run side by side, each in its own process. Each arm's voice is then measured:

* frame-rate buzz (``polyvox.evaluation.buzz``) of copy-synthesis (recorded mel -> posterior encoder
  -> decoder) of 24 corpus clips: the real cepstrum's peak at the quefrency of one hop;
* ``benchmarks/default_voice_quality.py``'s figures (MCD-DTW, F0, V/UV, duration) on held-out sentences.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
BUZZ_CLIPS = 24


def buzz_of(voice_path: Path | None, manifest: Path, sample_rate: int) -> float:
    """Mean frame-rate buzz of copy-synthesis through ``voice_path`` (None: of the recordings themselves),
    clips read at ``sample_rate`` (the recipe's voices')."""
    import torch

    from polyvox.audio.io import load_audio
    from polyvox.data.manifest import read_manifest
    from polyvox.evaluation.baselines import CopySynthesis
    from polyvox.evaluation.buzz import frame_rate_buzz
    from polyvox.evaluation.sources import Recording
    from polyvox.inference.voice import Voice

    utterances = read_manifest(manifest)
    picked = [utterances[i] for i in np.random.default_rng(0).choice(len(utterances), BUZZ_CLIPS, replace=False)]
    copy = CopySynthesis(Voice.load(voice_path)) if voice_path is not None else None
    values = []
    with torch.no_grad():
        for utterance in picked:
            samples = np.asarray(load_audio(utterance.audio, sample_rate), dtype=np.float32)
            if copy is not None:
                samples = copy(Recording(utterance.audio, utterance, samples))
            values.append(frame_rate_buzz(samples, sample_rate))
    return float(np.mean(values))


def train_arm(arm_dir: Path, overrides: dict[str, Any], steps: int, threads: int) -> None:
    """One arm (run in a child process): resume the copied checkpoint with the recipe's settings and ``overrides``."""
    import logging

    import torch

    sys.path.insert(0, str(ROOT / "recipes"))
    import default_voice

    from polyvox.config import preset
    from polyvox.train.run import train

    logging.basicConfig(level=logging.WARNING)
    torch.set_num_threads(threads)
    config = preset("small", default_voice.LANGUAGES).replace(**{**default_voice.OVERRIDES, **overrides, "training.max_steps": steps})
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


def pick_checkpoint(work: Path, step: int | None) -> tuple[int, Path]:
    """(step, path) of the recipe's checkpoint at ``step`` (None: the newest); exits with a message if absent."""
    folder = work / "run" / "checkpoints"
    checkpoints = {int(path.stem.split("-")[1]): path for path in folder.glob("step-*.ckpt")}
    if not checkpoints:
        raise SystemExit(f"no checkpoints in {folder}: run recipes/default_voice.py --work {work} first")
    start = step if step is not None else max(checkpoints)
    if start not in checkpoints:
        raise SystemExit(f"no checkpoint of step {start}; there are {sorted(checkpoints)}")
    return start, checkpoints[start]


def run_arms(
    script: str, work: Path, checkpoint: Path, start: int, steps: int, threads: int, out: Path, arms: dict[str, dict[str, Any]]
) -> dict[str, float]:
    """Train every arm from ``checkpoint`` for ``steps`` steps, side by side (``script --child ...`` each);
    returns each arm's wall-clock seconds."""
    processes = {}
    started = time.perf_counter()
    for arm, overrides in arms.items():
        prepare_arm(work, checkpoint, out / arm)
        command = [sys.executable, script, "--child", str(out / arm), json.dumps(overrides), str(start + steps), str(threads)]
        processes[arm] = subprocess.Popen(command)
    seconds: dict[str, float] = {}
    while len(seconds) < len(processes):
        for arm, process in processes.items():
            if arm in seconds or process.poll() is None:
                continue
            if process.returncode != 0:
                raise SystemExit(f"the arm {arm!r} failed (exit {process.returncode})")
            seconds[arm] = time.perf_counter() - started
        time.sleep(1.0)
    (out / "training_wall_s.json").write_text(json.dumps(seconds))
    return seconds


def child_main(arguments: list[str]) -> None:
    """``--child ARM_DIR OVERRIDES_JSON STEPS THREADS``, as ``run_arms`` starts it."""
    arm_dir, overrides, steps, threads = arguments
    train_arm(Path(arm_dir), json.loads(overrides), int(steps), int(threads))


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


def measure_arms(work: Path, out: Path, arms: list[str], per_language: int) -> dict[str, Any]:
    """Buzz and held-out quality of every arm's voice, and the recordings' buzz."""
    from polyvox.config import preset

    manifest = work / "corpus" / "manifest.jsonl"
    sample_rate = preset("small").audio.sample_rate  # the recipe's (frame rate: sample rate / hop)
    result: dict[str, Any] = {"buzz": {"recordings": buzz_of(None, manifest, sample_rate)}, "quality": {}}
    for arm in arms:
        voice = out / arm / "run" / "voice.safetensors"
        result["buzz"][arm] = buzz_of(voice, manifest, sample_rate)
        result["quality"][arm] = quality(voice, manifest, per_language, out / f"{arm}_quality")
    return result


def paired_difference(out: Path, arm: str, other: str, metric: str) -> dict[str, Any]:
    """Summary (mean, 95 % interval) of ``arm - other`` in ``metric`` of the voice, per held-out sentence."""
    from polyvox.evaluation.aggregate import summarize

    values = {}
    for name in (arm, other):
        report = json.loads((out / f"{name}_quality" / "default_voice_quality" / "report.json").read_text())
        values[name] = {item["id"]: item[metric] for item in report["utterances"] if item["system"] == "voice" and item[metric] is not None}
    shared = [key for key in values[arm] if key in values[other]]
    return summarize(values[arm][key] - values[other][key] for key in shared).to_dict()


def print_comparison(result: dict[str, Any], arms: list[str]) -> None:
    print(f"\nframe-rate buzz of copy-synthesis (cepstral peak at one hop; recordings {result['buzz']['recordings']:.3f}):")
    for arm in arms:
        print(f"  {arm:>12}: {result['buzz'][arm]:.3f}")
    print("\nMCD-DTW dB, voice (copy-synthesis), V/UV error of the voice:")
    print(f"  {'language':8}" + "".join(f"  {arm:>22}" for arm in arms))
    for language in result["quality"][arms[0]]:
        cells = []
        for arm in arms:
            figures = result["quality"][arm][language]
            voice_figures, copy_figures = figures["voice"], figures["copy-synthesis"]
            cells.append(f"{voice_figures['mcd_db']:.2f} ({copy_figures['mcd_db']:.2f}) {voice_figures['voicing_error']:.3f}")
        print(f"  {language:8}" + "".join(f"  {cell:>22}" for cell in cells))


def write_result(output: Path, result: dict[str, Any]) -> None:
    from polyvox.files import atomic_path

    with atomic_path(output) as temporary:
        temporary.write_text(json.dumps(result, indent=1))
    print(f"\nwrote {output}")
