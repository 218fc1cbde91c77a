"""Language-balanced batches: temperature proportions, mixing, length buckets, exact resume, rank sharding."""

from __future__ import annotations

import bisect
import itertools
import random
from collections import Counter

import pytest

from polyvox.config import ConfigError, TrainingConfig
from polyvox.data.language_sampler import LanguageBalancedBatchSampler, language_probabilities
from polyvox.data.sampler import BucketBatchSampler, build_batch_sampler

BOUNDARIES = (1.0, 2.0, 3.0)
CLIPS = {"en": 400, "es": 100, "zh": 25}


def dataset(seed: int = 0) -> tuple[list[float], list[str]]:
    generator = random.Random(seed)
    durations, languages = [], []
    for language, count in CLIPS.items():
        for _ in range(count):
            durations.append(generator.uniform(0.5, 4.0))
            languages.append(language)
    return durations, languages


def sampler(temperature: float, batch_size: int = 8, **kwargs) -> LanguageBalancedBatchSampler:
    durations, languages = dataset()
    return LanguageBalancedBatchSampler(durations, languages, batch_size, BOUNDARIES, seed=11, temperature=temperature, **kwargs)


def take(stream_source, count: int) -> list[list[int]]:
    return list(itertools.islice(iter(stream_source), count))


def test_probabilities_follow_the_temperature():
    proportional = language_probabilities(CLIPS, 1.0)
    assert proportional["en"] == pytest.approx(400 / 525)
    flattened = language_probabilities(CLIPS, 3.0)
    weights = {language: count ** (1 / 3) for language, count in CLIPS.items()}
    assert flattened["zh"] == pytest.approx(weights["zh"] / sum(weights.values()))
    assert proportional["zh"] < flattened["zh"] < 1 / 3
    uniform = language_probabilities(CLIPS, 1000.0)
    assert all(p == pytest.approx(1 / 3, abs=0.01) for p in uniform.values())


@pytest.mark.parametrize("temperature", [1.0, 3.0, 50.0])
def test_measured_language_shares_match_the_probabilities(temperature):
    batches = sampler(temperature)
    _, languages = dataset()
    counts = Counter(languages[index] for batch in take(batches, 3000) for index in batch)
    total = sum(counts.values())
    for language, probability in batches.probabilities.items():
        assert counts[language] / total == pytest.approx(probability, abs=0.015), (language, counts)


def test_batches_mix_languages_and_stay_in_one_length_bucket():
    durations, languages = dataset()
    batches = take(sampler(50.0), 500)
    for batch in batches:
        assert len(batch) == 8
        assert len({bisect.bisect(BOUNDARIES, durations[index]) for index in batch}) == 1
        # Every language holds about a third of each bucket, so each is in every batch of 8.
        assert {languages[index] for index in batch} == set(CLIPS)


def test_resume_replays_the_stream_exactly():
    first = take(sampler(3.0), 60)
    resumed = sampler(3.0)
    resumed.load_state_dict({"batches_done": 25})
    assert take(resumed, 35) == first[25:]
    assert resumed.state_dict() == {"batches_done": 60, "start": 0}


def test_ranks_split_the_stream():
    whole = take(sampler(3.0), 40)
    rank0 = take(sampler(3.0, rank=0, world_size=2), 20)
    rank1 = take(sampler(3.0, rank=1, world_size=2), 20)
    assert rank0 == whole[0::2] and rank1 == whole[1::2]


def test_config_selects_the_sampler_and_default_is_unchanged():
    durations, languages = dataset()
    assert isinstance(build_batch_sampler(TrainingConfig(), durations, languages), BucketBatchSampler)
    balanced = build_batch_sampler(TrainingConfig(batch_sampler="language_balanced", language_temperature=2.0), durations, languages)
    assert isinstance(balanced, LanguageBalancedBatchSampler)
    assert balanced.probabilities == pytest.approx(language_probabilities(CLIPS, 2.0))
    with pytest.raises(ConfigError, match="language_temperature"):
        TrainingConfig(language_temperature=0.0)
    with pytest.raises(ConfigError, match="batch_sampler"):
        TrainingConfig(batch_sampler="random")


@pytest.mark.parametrize("balanced", [False, True])
def test_a_run_resumed_with_another_number_of_processes_goes_on_at_the_first_batch_none_took(balanced: bool) -> None:
    """2 processes x 5 steps, then 1 process x 6 steps, then 3 x 2: every batch of the stream once, in order."""
    durations, languages = dataset()
    config = TrainingConfig(batch_sampler="language_balanced" if balanced else "bucket")

    def ranks(world_size: int, start: int, steps: int) -> list[list[int]]:
        shares = []
        for rank in range(world_size):
            sampler = build_batch_sampler(config, durations, languages, rank=rank, world_size=world_size)
            sampler.load_state_dict({"batches_done": 0, "start": start})
            shares.append(take(sampler, steps))
        return [batch for step in zip(*shares) for batch in step]  # in stream order: step by step, rank by rank

    whole = take(build_batch_sampler(config, durations, languages), 10 + 6 + 6)
    assert ranks(2, 0, 5) + ranks(1, 10, 6) + ranks(3, 16, 2) == whole
