"""Feature caches built where the dataset lives in other folders merge by copying (#23 item 3)."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile

from polyvox.config import AudioConfig
from polyvox.data.features_cache import FeatureCache
from polyvox.data.manifest import Utterance


def dataset(folder: Path, count: int = 4) -> list[Utterance]:
    (folder / "wavs").mkdir(parents=True)
    generator = np.random.default_rng(1)
    utterances = []
    for index in range(count):
        path = folder / "wavs" / f"clip_{index}.wav"
        soundfile.write(path, 0.1 * generator.standard_normal(3000 + 100 * index).astype(np.float32), 22050)
        utterances.append(Utterance(audio=str(path), text="a", speaker="s", language="en", duration=0.2))
    return utterances


def moved(utterances: list[Utterance], old: Path, new: Path) -> list[Utterance]:
    return [dataclasses.replace(u, audio=str(new / Path(u.audio).relative_to(old))) for u in utterances]


@pytest.fixture
def no_computing(monkeypatch):
    def refuse(self, utterance, target):
        raise AssertionError(f"computed {utterance.audio} again")

    return lambda: monkeypatch.setattr(FeatureCache, "_compute", refuse)


def test_a_cache_built_on_another_machine_serves_the_same_dataset_elsewhere(tmp_path, no_computing):
    here = tmp_path / "machine_a" / "data"
    utterances = dataset(here)
    built = FeatureCache(tmp_path / "cache_a", AudioConfig(), root=here)
    built.ensure(utterances, progress=False)
    # The dataset copied with its timestamps (rsync -a, cp -p) to another folder; the cache files copied beside it.
    there = tmp_path / "machine_b" / "elsewhere"
    shutil.copytree(here, there)
    shutil.copytree(tmp_path / "cache_a", tmp_path / "cache_b")
    no_computing()
    merged = FeatureCache(tmp_path / "cache_b", AudioConfig(), root=there)
    usable, skipped = merged.ensure(moved(utterances, here, there), progress=False)
    assert len(usable) == len(utterances) and not skipped
    for original, copy in zip(utterances, usable):
        assert all(np.array_equal(a, b) for a, b in zip(built.load(original), merged.load(copy)))


def test_a_cache_keyed_by_absolute_paths_is_renamed_not_recomputed(tmp_path, no_computing):
    folder = tmp_path / "data"
    utterances = dataset(folder)
    FeatureCache(tmp_path / "cache", AudioConfig()).ensure(utterances, progress=False)  # the keys before: absolute
    no_computing()
    relative = FeatureCache(tmp_path / "cache", AudioConfig(), root=folder)
    usable, _ = relative.ensure(utterances, progress=False)
    assert len(usable) == len(utterances)
    assert sorted(path.name for path in (tmp_path / "cache").glob("*.npz")) == sorted(relative.path_for(u).name for u in utterances)


def test_a_clip_outside_the_root_keeps_its_absolute_key(tmp_path):
    utterances = dataset(tmp_path / "data")
    rooted = FeatureCache(tmp_path / "cache", AudioConfig(), root=tmp_path / "manifest_folder")
    assert [rooted.path_for(u) for u in utterances] == [FeatureCache(tmp_path / "cache", AudioConfig()).path_for(u) for u in utterances]
