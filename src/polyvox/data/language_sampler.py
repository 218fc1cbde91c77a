"""Language-balanced, length-bucketed batches as an endless, resumable stream.

Training on a new language alone makes a voice forget the others; training on everything in
proportion drowns a small new language. Here each language is drawn with probability
``p_l ∝ n_l ** (1 / temperature)`` (``n_l``: its training clips): temperature 1 is proportional to the
data, a large temperature is uniform. Each batch first picks a length bucket, then fills its slots
by systematic sampling over the languages, so a batch holds every language whose share of that
bucket is at least ``1 / batch_size`` and clip lengths within a batch stay similar.
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from torch.utils.data import Sampler

from polyvox.data.rank_share import rank_share


def language_probabilities(clip_counts: dict[str, int], temperature: float) -> dict[str, float]:
    """``p_l ∝ n_l ** (1 / temperature)`` over the languages with at least one clip."""
    if temperature <= 0:
        raise ValueError(f"language temperature must be positive, got {temperature}")
    weights = {language: count ** (1.0 / temperature) for language, count in clip_counts.items() if count > 0}
    total = sum(weights.values())
    return {language: weight / total for language, weight in weights.items()}


@dataclass(frozen=True)
class _BucketPlan:
    """One length bucket: its draw probability and, per language, the clips and the language's share."""

    probability: float
    languages: tuple[str, ...]
    shares: tuple[float, ...]  # P(language | bucket), summing to 1
    clips: tuple[tuple[int, ...], ...]  # clip indices per language, same order


class LanguageBalancedBatchSampler(Sampler[list[int]]):
    """Batches whose languages follow :func:`language_probabilities`; each batch from one length bucket.

    The stream is a pure function of (seed, position): resuming at ``batches_done`` replays it exactly.
    With several processes, rank r takes every world_size-th batch (as ``BucketBatchSampler``).
    """

    def __init__(
        self,
        durations_s: Sequence[float],
        languages: Sequence[str],
        batch_size: int,
        bucket_boundaries_s: Sequence[float],
        seed: int,
        temperature: float,
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        if not durations_s:
            raise ValueError("no training clips: the dataset is empty after filtering")
        if len(durations_s) != len(languages):
            raise ValueError(f"{len(durations_s)} durations but {len(languages)} languages; give one language per clip")
        self.batch_size = batch_size
        self.seed = seed
        self.rank = rank
        self.world_size = world_size
        self.batches_done = 0
        self.start = 0
        boundaries = list(bucket_boundaries_s)
        by_language: dict[str, dict[int, list[int]]] = {}
        for index, (duration, language) in enumerate(zip(durations_s, languages)):
            by_language.setdefault(language, {}).setdefault(bisect.bisect(boundaries, duration), []).append(index)
        counts = {language: sum(len(clips) for clips in buckets.values()) for language, buckets in by_language.items()}
        self.probabilities = language_probabilities(counts, temperature)
        self.plans = self._plan_buckets(by_language, counts)

    def _plan_buckets(self, by_language: dict[str, dict[int, list[int]]], counts: dict[str, int]) -> list[_BucketPlan]:
        # Bucket b is drawn with w_b = sum_l p_l * (share of l's clips in b); inside it language l fills
        # p_l * f_lb / w_b of the slots, so over the stream every language gets exactly p_l of them.
        plans = []
        for bucket in sorted({b for buckets in by_language.values() for b in buckets}):
            present = [language for language in sorted(by_language) if bucket in by_language[language]]
            masses = [self.probabilities[language] * len(by_language[language][bucket]) / counts[language] for language in present]
            total = sum(masses)
            plans.append(
                _BucketPlan(
                    probability=total,
                    languages=tuple(present),
                    shares=tuple(mass / total for mass in masses),
                    clips=tuple(tuple(by_language[language][bucket]) for language in present),
                )
            )
        return plans

    def _batches(self) -> Iterator[list[int]]:
        """The whole stream, every rank's batches included."""
        generator = random.Random(self.seed * 100_003 + 17)
        bucket_weights = [plan.probability for plan in self.plans]
        # Per (bucket, language): a shuffled cycle through its clips, reshuffled at each pass.
        cycles: dict[tuple[int, int], list[int]] = {}
        while True:
            bucket = generator.choices(range(len(self.plans)), weights=bucket_weights)[0]
            plan = self.plans[bucket]
            batch = []
            for language in _systematic_counts(plan.shares, self.batch_size, generator.random()):
                key = (bucket, language)
                if not cycles.get(key):
                    order = list(plan.clips[language])
                    generator.shuffle(order)
                    cycles[key] = order
                batch.append(cycles[key].pop())
            generator.shuffle(batch)
            yield batch

    def __iter__(self) -> Iterator[list[int]]:
        return rank_share(self, self._batches())

    def state_dict(self) -> dict[str, int]:
        return {"batches_done": self.batches_done, "start": self.start}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self.batches_done, self.start = int(state["batches_done"]), int(state.get("start", 0))


def _systematic_counts(shares: Sequence[float], slots: int, offset: float) -> list[int]:
    """Slot owners by systematic sampling: points ``(offset + k) / slots`` on the cumulative shares.

    Each owner gets ``floor`` or ``ceil`` of ``share * slots`` slots (unbiased), so every owner with a
    share of at least ``1 / slots`` is in the batch.
    """
    owners = []
    cumulative = 0.0
    owner = 0
    for slot in range(slots):
        point = (offset + slot) / slots
        while owner < len(shares) - 1 and point >= cumulative + shares[owner]:
            cumulative += shares[owner]
            owner += 1
        owners.append(owner)
    return owners
