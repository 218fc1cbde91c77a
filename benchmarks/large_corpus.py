"""Hours of data (#23 item 3): generating a corpus, preparing it, caching its features, and feeding a
training step, timed, with peak memory, at several sizes in one run.

    python benchmarks/large_corpus.py --hours 2 20 [--work DIR] [--keep]

For each size: a corpus (en and es, espeak-ng, 8 speakers) of about that many hours is generated; it is
prepared by ``polyvox prepare`` (its manifest as the list of recordings, one process, one thread); its
features are cached by one process and by two (``training.feature_workers``), one thread per process;
then a training data loader (small preset, batch 16, one thread) is timed over 40 batches with 0 and 2
loader workers, beside the median time of a small-preset training step on the same batches (forward,
backward and update of generator and discriminator, as training runs them). Peak memory that stays flat
from the smaller to the larger size is the point; so is data time that is a small fraction of a step.
Writes benchmarks/results/large_corpus.json.

Peak memory is each process's own high-water mark (``VmHWM``, polled from /proc while it runs), not
``ru_maxrss``: Linux carries a parent's resident size into a child's ``ru_maxrss`` across fork and exec,
so a phase started by this script after it generated 20 hours read 408 MiB whatever the phase did.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
LANGUAGES = ("en", "es")
SPEAKERS_PER_LANGUAGE = 4
MEAN_CLIP_S = 2.6  # of the generated corpus, measured; sets the number of clips for the hours asked
BATCHES = 40
TRAINING_STEPS = 6


def generate(folder: Path, hours: float) -> dict[str, float]:
    from polyvox.data.corpus.generator import generate_corpus

    per_speaker = max(1, round(hours * 3600 / MEAN_CLIP_S / (len(LANGUAGES) * SPEAKERS_PER_LANGUAGE)))
    start = time.perf_counter()
    report = generate_corpus(folder, list(LANGUAGES), SPEAKERS_PER_LANGUAGE, per_speaker, seed=23, progress=False)
    seconds = time.perf_counter() - start
    return {"clips": report.utterances, "audio_hours": round(report.duration_s / 3600, 2), "seconds": round(seconds, 1)}


def cache_phase(manifest: str, cache_dir: str, workers: int) -> dict[str, float]:
    """Run in its own process: the feature cache of ``manifest`` with ``workers`` processes, one thread each
    (as the workers run; torch's default threads collapse on a shared CPU, see benchmarks/threads.py),
    streamed from the manifest (``build_feature_shard``): no list of its clips is held."""
    import polyvox

    polyvox.use_threads(1)
    from polyvox.config import preset
    from polyvox.data.feature_shards import build_feature_shard, cache_for

    training = preset("small").training
    cache = cache_for(cache_dir, preset("small").audio, training.silence_rms_threshold, training.max_clip_s, manifest)
    start = time.perf_counter()
    report = build_feature_shard(manifest, cache, workers=workers, progress=False)
    seconds = time.perf_counter() - start
    return {"workers": workers, "clips": report.computed, "seconds": round(seconds, 1)}


def feeding_phase(manifest: str, cache_dir: str) -> dict[str, object]:
    """Run in its own process: seconds per batch from the data loader, beside seconds per training step."""
    import torch
    from torch.utils.data import DataLoader

    from polyvox.config import preset
    from polyvox.data.dataset import TtsDataset, collate
    from polyvox.data.feature_shards import cache_for
    from polyvox.data.manifest import read_manifest
    from polyvox.data.sampler import build_batch_sampler
    from polyvox.train.run import encode_all, prepare_metadata

    torch.set_num_threads(1)
    config = preset("small", LANGUAGES, n_speakers=len(LANGUAGES) * SPEAKERS_PER_LANGUAGE)
    utterances = read_manifest(manifest)
    cache = cache_for(cache_dir, config.audio, config.training.silence_rms_threshold, config.training.max_clip_s, manifest)
    metadata = prepare_metadata(config, utterances)
    start = time.perf_counter()
    items, _ = encode_all(utterances, metadata, cache)
    encode_seconds = time.perf_counter() - start
    dataset = TtsDataset(items, cache)
    loader_times = {}
    for workers in (0, 2):
        sampler = build_batch_sampler(config.training, dataset.durations_s(), [item.utterance.language for item in items])
        loader = DataLoader(dataset, batch_sampler=sampler, collate_fn=collate, num_workers=workers)
        iterator, times = iter(loader), []
        next(iterator)  # workers start
        for _ in range(BATCHES):
            begin = time.perf_counter()
            next(iterator)
            times.append(time.perf_counter() - begin)
        loader_times[workers] = statistics.mean(times)
        del iterator
    step_seconds = _training_step_seconds(metadata, dataset, config)
    return {"encode_seconds": round(encode_seconds, 1),
            "data_seconds_per_batch": {f"{w}_workers": round(t, 4) for w, t in loader_times.items()},
            "step_seconds": round(step_seconds, 3),
            "data_fraction_of_step": {f"{w}_workers": round(t / step_seconds, 4) for w, t in loader_times.items()}}


def _training_step_seconds(metadata: object, dataset: object, config: object) -> float:
    """Median seconds of a small-preset training step (after one warm-up), through Lightning as training runs it."""
    import lightning as L
    from torch.utils.data import DataLoader

    from polyvox.data.dataset import collate
    from polyvox.data.sampler import build_batch_sampler
    from polyvox.train.module import VitsTrainingModule

    class Clock(L.Callback):
        def __init__(self) -> None:
            self.times: list[float] = []

        def on_train_batch_start(self, *args: object) -> None:
            self.times.append(time.perf_counter())

        def on_train_batch_end(self, *args: object) -> None:
            self.times[-1] = time.perf_counter() - self.times[-1]

    sampler = build_batch_sampler(config.training, dataset.durations_s(), [item.utterance.language for item in dataset.items])
    loader = DataLoader(dataset, batch_sampler=sampler, collate_fn=collate)
    clock = Clock()
    trainer = L.Trainer(accelerator="cpu", max_steps=TRAINING_STEPS, logger=False, enable_checkpointing=False,
                        enable_progress_bar=False, enable_model_summary=False, callbacks=[clock], precision="32")
    trainer.fit(VitsTrainingModule(metadata), train_dataloaders=loader)
    return statistics.median(clock.times[1:])


def _high_water_mib(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None  # ended between two polls
    return None


def _children(pid: int) -> list[int]:
    """Every process descended from ``pid`` (from each process's parent in /proc/*/stat)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                # The parent follows the command name, which may hold spaces: split after its closing ")".
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    found, frontier = [], [pid]
    while frontier:
        frontier = [child for child, parent in parents.items() if parent in frontier]
        found += frontier
    return found


def _run_measured(command: list[str]) -> tuple[str, float, float]:
    """Run ``command``; (its stdout, the peak MiB of its own process, the largest peak of any process it started)."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peaks: dict[int, float] = {}

    def poll() -> None:
        while process.poll() is None:
            for pid in (process.pid, *_children(process.pid)):
                mark = _high_water_mib(pid)
                if mark is not None:
                    peaks[pid] = max(mark, peaks.get(pid, 0.0))
            time.sleep(0.1)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    stdout, stderr = process.communicate()
    poller.join()
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:4])} ... failed: {stderr.strip().splitlines()[-1:]}")
    main_peak = peaks.pop(process.pid, 0.0)
    return stdout, round(main_peak, 1), round(max(peaks.values(), default=0.0), 1)


def _in_process(*arguments: str) -> dict[str, object]:
    stdout, main_peak, child_peak = _run_measured([sys.executable, __file__, *arguments])
    result = json.loads(stdout.strip().splitlines()[-1])
    return {**result, "peak_mib_main": main_peak, "peak_mib_worker": child_peak}


def prepare_phase(manifest: Path, out: Path) -> dict[str, float]:
    """``polyvox prepare`` of the corpus (its manifest lists the recordings and texts), one process, one thread."""
    polyvox = Path(sys.executable).with_name("polyvox")
    start = time.perf_counter()
    _, main_peak, child_peak = _run_measured(
        [str(polyvox), "prepare", str(manifest), "-o", str(out), "--threads", "1", "--workers", "1", "--quiet"]
    )
    seconds = time.perf_counter() - start
    clips = sum(1 for _ in open(out / "manifest.jsonl", encoding="utf-8"))
    return {"clips_in_manifest": clips, "seconds": round(seconds, 1), "peak_mib_main": main_peak, "peak_mib_worker": child_peak}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hours", type=float, nargs="+", default=[2.0, 20.0])
    parser.add_argument("--work", type=Path, help="folder for the corpora (default: a temporary one, removed)")
    parser.add_argument("--keep", action="store_true", help="keep the corpora in --work")
    parser.add_argument("--phase", nargs="+", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.phase:
        name, *rest = arguments.phase
        result = cache_phase(rest[0], rest[1], int(rest[2])) if name == "cache" else feeding_phase(rest[0], rest[1])
        print(json.dumps(result))
        return
    work = arguments.work or Path(tempfile.mkdtemp(prefix="polyvox_large_"))
    sizes = []
    for hours in arguments.hours:
        folder = work / f"corpus_{hours:g}h"
        generated = generate(folder, hours)
        print(f"{hours:g} h: generated {generated['clips']} clips in {generated['seconds']} s", flush=True)
        manifest = str(folder / "manifest.jsonl")
        prepared = prepare_phase(folder / "manifest.jsonl", folder / "prepared")
        print(f"  prepare: {prepared['clips_in_manifest']} clips in {prepared['seconds']} s, peak {prepared['peak_mib_main']} MiB", flush=True)
        caching = [_in_process("--phase", "cache", manifest, str(folder / f"cache_{workers}"), str(workers)) for workers in (1, 2)]
        for result in caching:
            print(f"  features, {result['workers']} process(es): {result['seconds']} s, peak {result['peak_mib_main']} MiB "
                  f"(workers {result['peak_mib_worker']} MiB)", flush=True)
        feeding = _in_process("--phase", "feed", manifest, str(folder / "cache_1"))
        print(f"  data per batch {feeding['data_seconds_per_batch']} s vs step {feeding['step_seconds']} s: "
              f"{feeding['data_fraction_of_step']}", flush=True)
        print(f"  training data process: peak {feeding['peak_mib_main']} MiB", flush=True)
        sizes.append({"hours": hours, "generate": generated, "prepare": prepared, "cache": caching, "feeding": feeding})
        if not arguments.keep:
            shutil.rmtree(folder)
    if arguments.work is None and not arguments.keep:
        shutil.rmtree(work, ignore_errors=True)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "large_corpus.json").write_text(json.dumps({
        "languages": LANGUAGES, "speakers": SPEAKERS_PER_LANGUAGE * len(LANGUAGES), "sizes": sizes,
        "platform": platform.platform(), "note": "on this machine as it was (other work may share its 2 cores)",
    }, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
