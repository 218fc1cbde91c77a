"""Training speed on the CPU: polyvox's way against the original VITS recipe's way, same generator.

On a generated corpus (English with espeak-ng phoneme durations, Mandarin without), batch 16 and
2 threads, for the small and medium presets, each variant trains from the same initial weights:

* polyvox: features cached once, length-bucketed batches, the preset's right-sized discriminators,
  manifest phoneme durations where the corpus has them (alignment search for the rest), float32;
* polyvox-bf16: the same with ``training.precision = "bf16-mixed"`` (convolutions and matrix products in
  bfloat16, as Lightning's autocast runs them), only where the CPU has native bfloat16: what the
  presets' default precision, "auto", trains with there;
* baseline (the original VITS recipe): full-width discriminators (multi-period 32..1024 and the
  multi-scale one), waveform read and mel spectrogram computed for every item of every step,
  random (unbucketed) batches, alignment search for every clip.

Both GAN phases are timed separately: the reconstruction-only phase (before
training.discriminator_start_step; the original recipe has none) and the adversarial phase.
The four runs of a preset take turns step by step (so other work on the machine slows them
alike); a few warm-up steps, then N timed steps. Speed-ups are ratios of clips per second (bucketed
batches vary in length and size), with ratios of median step times beside them. A per-component
profile (forward of each module, alignment, backward, optimizer, data loading) is printed per run.

    python benchmarks/training_speed.py               # small and medium, 8 timed steps each
    python benchmarks/training_speed.py --quick       # 3 timed steps, for development

Prints tables and ratios; writes benchmarks/results/training_speed.json.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Sampler

sys.path.insert(0, str(Path(__file__).resolve().parent))
from training_profile import SECTIONS, AlignmentTimer, SectionTimer, bare_module, instrument  # noqa: E402

from polyvox.audio.features import LOG_FLOOR, MelSpectrogram  # noqa: E402
from polyvox.audio.io import load_audio  # noqa: E402
from polyvox.config import DiscriminatorConfig, VoiceConfig, preset  # noqa: E402
from polyvox.data.dataset import Batch, EncodedUtterance, TtsDataset, collate  # noqa: E402
from polyvox.data.sampler import BucketBatchSampler  # noqa: E402
from polyvox.files import atomic_path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
LANGUAGES = ("en", "zh")
SPEAKERS_PER_LANGUAGE = 2
UTTERANCES_PER_SPEAKER = 75  # 300 clips
CORPUS_SEED = 11
BATCH_SIZE = 16
THREADS = 2
# The aim: a training step at least this many times faster than the baseline at equal model size.
TARGET_SPEEDUP = 3.0
PHASES = ("reconstruction", "adversarial")


class RecomputingDataset(TtsDataset):
    """The original recipe's data path: every item reads its wav file and computes its mel spectrogram."""

    def __init__(self, items: list[EncodedUtterance], config: VoiceConfig) -> None:
        super().__init__(items, cache=None)  # type: ignore[arg-type]
        self.audio = config.audio
        self.mel = MelSpectrogram(config.audio)

    def __getitem__(self, index: int) -> tuple[EncodedUtterance, torch.Tensor, torch.Tensor]:
        item = self.items[index]
        samples = np.clip(load_audio(item.utterance.audio, self.audio.sample_rate), -1.0, 1.0)
        waveform = torch.from_numpy(samples[: item.frames * self.audio.hop_length].astype(np.float32))
        with torch.no_grad():
            mel = self.mel(waveform.unsqueeze(0))[0]
        missing = item.padded_frames - mel.shape[1]
        if missing > 0:
            waveform = torch.nn.functional.pad(waveform, (0, missing * self.audio.hop_length))
            mel = torch.nn.functional.pad(mel, (0, missing), value=float(np.log(LOG_FLOOR)))
        return item, waveform, mel


class RandomBatches(Sampler[list[int]]):
    """Endless full batches drawn at random, whatever the clip lengths (no bucketing)."""

    def __init__(self, size: int, batch_size: int, seed: int) -> None:
        self.size, self.batch_size, self.random = size, batch_size, random.Random(seed)

    def __iter__(self) -> Iterator[list[int]]:
        while True:
            order = list(range(self.size))
            self.random.shuffle(order)
            for start in range(0, self.size - self.batch_size + 1, self.batch_size):
                yield order[start : start + self.batch_size]


def collate_without_durations(samples: list[tuple[EncodedUtterance, torch.Tensor, torch.Tensor]]) -> Batch:
    batch = collate(samples)
    batch.has_durations.zero_()
    return batch


def ensure_corpus(work: Path) -> Path:
    manifest = work / "corpus" / "manifest.jsonl"
    if not manifest.exists():
        from polyvox.data.corpus import generate_corpus

        generate_corpus(work / "corpus", LANGUAGES, SPEAKERS_PER_LANGUAGE, UTTERANCES_PER_SPEAKER, seed=CORPUS_SEED)
    return manifest


def full_width_discriminators() -> dict[str, Any]:
    """The original VITS discriminators: DiscriminatorConfig's defaults are exactly those widths."""
    default = DiscriminatorConfig()
    return {f"model.discriminator.{field.name}": getattr(default, field.name) for field in dataclasses.fields(default)}


class Runner:
    """One (variant, phase): its own module, data stream and timers; ``step`` runs one training step."""

    def __init__(self, variant: str, phase: str, data: Any, alignment: AlignmentTimer) -> None:
        from polyvox.train.module import VitsTrainingModule

        self.variant, self.phase, self.alignment = variant, phase, alignment
        overrides: dict[str, Any] = {
            "training.max_steps": 0,  # no stop request: the benchmark counts the steps
            "training.discriminator_start_step": 0 if phase == "adversarial" else 10**9,
        }
        if variant == "baseline":
            overrides.update(full_width_discriminators())
            overrides["training.stft_loss_weight"] = 0.0  # the original recipe has no STFT loss
        # Each variant names its precision: the presets' "auto" would be bf16-mixed on a CPU with native bfloat16.
        overrides["training.precision"] = "bf16-mixed" if variant == "polyvox-bf16" else "32"
        metadata = dataclasses.replace(data.metadata, config=data.metadata.config.replace(**overrides))
        training = metadata.config.training
        if variant == "baseline":
            dataset: TtsDataset = RecomputingDataset(data.train_items, metadata.config)
            sampler: Sampler[list[int]] = RandomBatches(len(dataset), BATCH_SIZE, training.seed)
            collate_fn = collate_without_durations
        else:
            dataset = TtsDataset(data.train_items, data.cache)
            sampler = BucketBatchSampler(dataset.durations_s(), BATCH_SIZE, training.bucket_boundaries_s, training.seed)
            collate_fn = collate
        self.batches = iter(DataLoader(dataset, batch_sampler=sampler, collate_fn=collate_fn, num_workers=training.num_workers))
        torch.manual_seed(training.seed)  # the same initial generator in every variant
        self.module = VitsTrainingModule(metadata)
        bare_module(self.module)
        self.timer = SectionTimer()
        instrument(self.module, self.timer)
        self.step_seconds: list[float] = []
        self.batch_sizes: list[int] = []

    def step(self, timed: bool) -> None:
        self.timer.active = timed
        self.alignment.current = self.timer
        started = time.perf_counter()
        with self.timer.section("data loading"):
            batch = next(self.batches)
        # Lightning's "bf16-mixed" runs training_step (its backward passes included) under this autocast.
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.variant == "polyvox-bf16"):
            self.module.training_step(batch, 0)
        if timed:
            self.step_seconds.append(time.perf_counter() - started)
            self.batch_sizes.append(int(batch.phoneme_ids.shape[0]))
        self.alignment.current = None

    def result(self) -> dict[str, Any]:
        steps = len(self.step_seconds)
        total = sum(self.step_seconds)
        totals = dict(self.timer.totals)
        totals["rest (losses, logging)"] = max(total - sum(totals.values()), 0.0)
        return {
            "variant": self.variant,
            "phase": self.phase,
            "steps": steps,
            "median_step_s": statistics.median(self.step_seconds),
            "min_step_s": min(self.step_seconds),
            "step_s": self.step_seconds,
            "mean_batch": sum(self.batch_sizes) / steps,
            "clips_per_s": sum(self.batch_sizes) / total,
            "generator_parameters_m": sum(p.numel() for p in self.module.generator.parameters()) / 1e6,
            "discriminator_parameters_m": sum(p.numel() for p in self.module.discriminator.parameters()) / 1e6,
            "profile_s_per_step": {name: totals.get(name, 0.0) / steps for name in SECTIONS},
        }


def measure_preset(data: Any, warmup: int, steps: int, variants: tuple[str, ...]) -> list[dict[str, Any]]:
    """All runs take turns, one step each, so they share whatever else the machine is doing."""
    alignment = AlignmentTimer()
    try:
        runners = [Runner(variant, phase, data, alignment) for variant in variants for phase in PHASES]
        for round_index in range(warmup + steps):
            for runner in runners:
                runner.step(timed=round_index >= warmup)
            print(f"  round {round_index + 1}/{warmup + steps}", flush=True)
    finally:
        alignment.restore()
    return [runner.result() for runner in runners]


def print_profile(runs: list[dict[str, Any]]) -> None:
    header = "".join(f"{run['variant'][:12] + '/' + run['phase'][:5]:>20}" for run in runs)
    print(f"{'seconds per step':<30}{header}")
    for name in SECTIONS:
        print(f"{name:<30}" + "".join(f"{run['profile_s_per_step'][name]:>20.3f}" for run in runs))
    print(f"{'median step':<30}" + "".join(f"{run['median_step_s']:>20.3f}" for run in runs))
    print(f"{'fastest step':<30}" + "".join(f"{run['min_step_s']:>20.3f}" for run in runs))
    print(f"{'clips per second':<30}" + "".join(f"{run['clips_per_s']:>20.2f}" for run in runs))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1 warm-up and 3 timed steps per run")
    parser.add_argument("--presets", default="small,medium", help="comma-separated presets")
    parser.add_argument("--steps", type=int, default=None, help="timed steps per run (default 8, --quick 3)")
    parser.add_argument("--warmup", type=int, default=None, help="untimed steps first, at least 1 (default 2, --quick 1)")
    parser.add_argument("--work", type=Path, default=RESULTS / "training_speed_work", help="corpus and feature cache")
    parser.add_argument("--output", type=Path, default=RESULTS / "training_speed.json")
    arguments = parser.parse_args()
    steps = arguments.steps or (3 if arguments.quick else 8)
    warmup = max(1, arguments.warmup if arguments.warmup is not None else (1 if arguments.quick else 2))
    torch.set_num_threads(THREADS)
    load_before = os.getloadavg()
    from polyvox.inference.speed import native_bfloat16

    # bfloat16 is emulated (slow) on CPUs without native instructions: no such rows there.
    native = native_bfloat16()
    variants = ("polyvox", "polyvox-bf16", "baseline") if native else ("polyvox", "baseline")

    import logging

    from polyvox.train.run import prepare_data

    logging.basicConfig(level=logging.WARNING)
    manifest = ensure_corpus(arguments.work)
    results = []
    for preset_name in arguments.presets.split(","):
        config = preset(preset_name, LANGUAGES, SPEAKERS_PER_LANGUAGE * len(LANGUAGES)).replace(
            **{"training.batch_size": BATCH_SIZE}
        )
        started = time.perf_counter()
        data = prepare_data(manifest, arguments.work / f"run-{preset_name}", config, False, None, False, 2)
        preparation_s = time.perf_counter() - started
        with_durations = sum(item.durations is not None for item in data.train_items)
        print(
            f"\n== {preset_name}: {len(data.train_items)} training clips ({with_durations} with phoneme durations), "
            f"batch {BATCH_SIZE}, {THREADS} threads; data preparation (features cached once) {preparation_s:.1f} s",
            flush=True,
        )
        runs = measure_preset(data, warmup, steps, variants)
        print_profile(runs)
        by_key = {(run["variant"], run["phase"]): run for run in runs}
        # The original recipe trains adversarially from its first step: its step against each of polyvox's
        # phases is the comparison; the same-phase ratios show what the data path and the
        # discriminator widths give on their own.
        pairs = {
            "original recipe step / polyvox reconstruction step": (("baseline", "adversarial"), ("polyvox", "reconstruction")),
            "original recipe step / polyvox adversarial step": (("baseline", "adversarial"), ("polyvox", "adversarial")),
            "same phase, reconstruction": (("baseline", "reconstruction"), ("polyvox", "reconstruction")),
            "same phase, adversarial": (("baseline", "adversarial"), ("polyvox", "adversarial")),
        }
        if "polyvox-bf16" in variants:
            pairs.update({
                "original recipe step / polyvox bf16-mixed reconstruction step": (("baseline", "adversarial"), ("polyvox-bf16", "reconstruction")),
                "original recipe step / polyvox bf16-mixed adversarial step": (("baseline", "adversarial"), ("polyvox-bf16", "adversarial")),
                "polyvox float32 / bf16-mixed, adversarial": (("polyvox", "adversarial"), ("polyvox-bf16", "adversarial")),
            })
        ratios = {}
        for name, (slow, fast) in pairs.items():
            # Throughput (clips per second over the timed steps) is the verdict: bucketed batches vary in
            # length and some are short of 16 clips, so one step's time is no measure of training speed.
            throughput = by_key[fast]["clips_per_s"] / by_key[slow]["clips_per_s"]
            median = by_key[slow]["median_step_s"] / by_key[fast]["median_step_s"]
            fastest = by_key[slow]["min_step_s"] / by_key[fast]["min_step_s"]
            ratios[name] = {"clips_per_s": throughput, "median_steps": median, "fastest_steps": fastest}
            verdict = ""
            if slow[0] == "baseline":
                verdict = f" ({'meets' if throughput >= TARGET_SPEEDUP else 'below'} the {TARGET_SPEEDUP:g}x aim)"
            print(
                f"  speed-up {name}: {throughput:.2f}x in clips per second{verdict}; "
                f"{median:.2f}x by median steps, {fastest:.2f}x by fastest"
            )
        results.append({"preset": preset_name, "preparation_s": preparation_s, "runs": runs, "speedups": ratios})
    report = {
        "machine": {"platform": platform.platform(), "processor": platform.processor(), "torch": torch.__version__, "threads": THREADS},
        "note": "the machine may have been shared with other work; compare ratios measured in the same run",
        "load_average_1min": {"start": load_before[0], "end": os.getloadavg()[0]},
        "batch_size": BATCH_SIZE,
        "warmup_steps": warmup,
        "timed_steps": steps,
        "default_precision_here": "bf16-mixed" if native else "32",
        "presets": results,
    }
    arguments.output.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(arguments.output) as temporary:
        temporary.write_text(json.dumps(report, indent=1))
    print(f"\nload average (1 min) {load_before[0]:.1f} at the start, {os.getloadavg()[0]:.1f} at the end (2 cores)")
    print(f"the presets' default precision (auto) on this CPU: {report['default_precision_here']}")
    print(f"wrote {arguments.output}")


if __name__ == "__main__":
    main()
