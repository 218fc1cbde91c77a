"""Length-bucketed batches as an endless, resumable stream (training is counted in steps, not epochs)."""

from __future__ import annotations

import bisect
import random
from collections.abc import Iterator, Sequence

from torch.utils.data import Sampler

from polyvox.config import TrainingConfig
from polyvox.data.rank_share import rank_share


class BucketBatchSampler(Sampler[list[int]]):
    """Clips of similar duration share a batch, so little padding is computed.

    The stream is a pure function of (seed, position): resuming at ``batches_done`` replays it exactly.
    With several processes, rank r takes every world_size-th batch (``rank_share``).
    """

    def __init__(
        self,
        durations_s: Sequence[float],
        batch_size: int,
        bucket_boundaries_s: Sequence[float],
        seed: int,
        rank: int = 0,
        world_size: int = 1,
    ) -> None:
        if not durations_s:
            raise ValueError("no training clips: the dataset is empty after filtering")
        self.batch_size = batch_size
        self.seed = seed
        self.rank = rank
        self.world_size = world_size
        self.batches_done = 0
        self.start = 0
        self.buckets: list[list[int]] = [[] for _ in range(len(bucket_boundaries_s) + 1)]
        for index, duration in enumerate(durations_s):
            self.buckets[bisect.bisect(list(bucket_boundaries_s), duration)].append(index)
        self.buckets = [bucket for bucket in self.buckets if bucket]

    def epoch_batches(self, epoch: int) -> list[list[int]]:
        generator = random.Random(self.seed * 100_003 + epoch)
        batches = []
        for bucket in self.buckets:
            order = bucket[:]
            generator.shuffle(order)
            batches.extend(order[start : start + self.batch_size] for start in range(0, len(order), self.batch_size))
        generator.shuffle(batches)
        return batches

    def _batches(self) -> Iterator[list[int]]:
        """The whole stream, every rank's batches included."""
        epoch = 0
        while True:
            yield from self.epoch_batches(epoch)
            epoch += 1

    def __iter__(self) -> Iterator[list[int]]:
        return rank_share(self, self._batches())

    def state_dict(self) -> dict[str, int]:
        return {"batches_done": self.batches_done, "start": self.start}

    def load_state_dict(self, state: dict[str, int]) -> None:
        self.batches_done, self.start = int(state["batches_done"]), int(state.get("start", 0))


def build_batch_sampler(
    training: TrainingConfig, durations_s: Sequence[float], languages: Sequence[str], rank: int = 0, world_size: int = 1
) -> Sampler[list[int]]:
    """The batch sampler ``training.batch_sampler`` names: length buckets, or length buckets mixing languages."""
    if training.batch_sampler == "language_balanced":
        from polyvox.data.language_sampler import LanguageBalancedBatchSampler

        return LanguageBalancedBatchSampler(
            durations_s, languages, training.batch_size, training.bucket_boundaries_s, training.seed,
            training.language_temperature, rank=rank, world_size=world_size,
        )
    return BucketBatchSampler(durations_s, training.batch_size, training.bucket_boundaries_s, training.seed, rank=rank, world_size=world_size)
