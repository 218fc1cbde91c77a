"""The feature cache of a corpus too large to hold, built in one pass or in shards.

The manifest is read one line at a time and clips are computed as they come (a few chunks in flight when
several processes compute), so memory does not grow with the corpus. ``shard=(index, count)`` takes every
``count``-th clip from the ``index``-th: ``count`` machines (or runs) each build one shard, and the shards'
files are one cache once copied together (a clip's file is named by its place relative to the manifest's
folder, its size and modification time, and the audio settings; ``FeatureCache``).
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from polyvox.config import AudioConfig
from polyvox.data.data_report import SkippedClip
from polyvox.data.features_cache import WORKER_CHUNK, FeatureCache, ensure_chunk_in_worker, worker_pool
from polyvox.data.manifest import Utterance, iter_manifest
from polyvox.errors import TrainingSetupError

# Chunks handed to the worker processes at a time: enough to keep them busy, few enough to keep memory flat.
CHUNKS_IN_FLIGHT_PER_WORKER = 2


class ShardError(TrainingSetupError):
    """A shard that cannot be built as asked; the message says what to give instead."""


@dataclass
class ShardReport:
    clips: int = 0  # clips of the manifest in this shard
    computed: int = 0
    already_cached: int = 0
    skipped: Counter[str] = field(default_factory=Counter)  # reason -> clips
    first_skipped: SkippedClip | None = None

    def summary(self) -> str:
        skipped = sum(self.skipped.values())
        reasons = ", ".join(f"{count} {reason}" for reason, count in self.skipped.most_common())
        return (
            f"{self.clips} clip(s): {self.computed} computed, {self.already_cached} already cached"
            + (f", {skipped} skipped ({reasons}; first: {self.first_skipped.detail})" if skipped else "")
        )


def parse_shard(text: str) -> tuple[int, int]:
    """``"2/4"`` -> (1, 4): the second of four shards (numbered from 1, as a user counts machines)."""
    number, _, count = text.partition("/")
    if not (number.isdigit() and count.isdigit()) or not 1 <= int(number) <= int(count):
        raise ShardError(f"--shard {text!r}: give I/N with 1 <= I <= N, e.g. 2/4 for the second of four machines")
    return int(number) - 1, int(count)


def _shard_clips(manifest: Path, shard: tuple[int, int]) -> Iterator[Utterance]:
    index, count = shard
    return itertools.islice(iter_manifest(manifest), index, None, count)


def build_feature_shard(
    manifest: str | Path, cache: FeatureCache, shard: tuple[int, int] = (0, 1), workers: int = 1, progress: bool = True
) -> ShardReport:
    """Compute the features of every clip of ``shard`` not cached yet; never raises for one bad clip."""
    from tqdm.auto import tqdm

    manifest = Path(manifest)
    total = sum(1 for _ in _shard_clips(manifest, shard))
    report = ShardReport(clips=total)
    pending = (utterance for utterance in _shard_clips(manifest, shard) if not _counted_cached(cache, utterance, report))
    with tqdm(total=total, desc=f"features, shard {shard[0] + 1}/{shard[1]}", unit="clip", disable=not progress) as bar:
        for problem in _computed(cache, pending, workers):
            _count(report, problem)
            bar.n = report.already_cached + report.computed + sum(report.skipped.values())
            bar.refresh()
        bar.n = total
    return report


def _counted_cached(cache: FeatureCache, utterance: Utterance, report: ShardReport) -> bool:
    if cache.is_cached(utterance):
        report.already_cached += 1
        return True
    return False


def _count(report: ShardReport, problem: SkippedClip | None) -> None:
    if problem is None:
        report.computed += 1
        return
    report.skipped[problem.reason] += 1
    report.first_skipped = report.first_skipped or problem


def _computed(cache: FeatureCache, pending: Iterator[Utterance], workers: int) -> Iterator[SkippedClip | None]:
    """Each pending clip's problem (None: cached now), in order; with ``workers`` processes, a few chunks at a time."""
    if workers <= 1:
        yield from (cache.ensure_one(utterance) for utterance in pending)
        return
    chunks = iter(lambda: list(itertools.islice(pending, WORKER_CHUNK)), [])
    with worker_pool(workers) as pool:
        in_flight = [pool.submit(ensure_chunk_in_worker, cache.settings, chunk)
                     for chunk in itertools.islice(chunks, workers * CHUNKS_IN_FLIGHT_PER_WORKER)]
        while in_flight:
            done = in_flight.pop(0).result()
            following = next(chunks, None)
            if following is not None:
                in_flight.append(pool.submit(ensure_chunk_in_worker, cache.settings, following))
            yield from done


def cache_for(cache_dir: str | Path, audio: AudioConfig, silence_rms: float, max_clip_s: float | None, manifest: str | Path) -> FeatureCache:
    """The cache a training run of ``manifest`` reads (its clips keyed relative to the manifest's folder)."""
    return FeatureCache(cache_dir, audio, silence_rms, max_clip_s, Path(manifest).parent)
