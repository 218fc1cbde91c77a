"""The feature cache of a large corpus, streamed and built in shards that merge by copying (#23 item 3)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile

from polyvox.config import AudioConfig
from polyvox.data.data_report import MISSING_FILE, SILENT
from polyvox.data.feature_shards import ShardError, build_feature_shard, cache_for, parse_shard
from polyvox.data.manifest import Utterance, write_manifest

CLIPS = 9


def corpus(folder: Path) -> Path:
    """Nine clips: one silent, one whose file is missing."""
    (folder / "wavs").mkdir(parents=True)
    generator = np.random.default_rng(2)
    utterances = []
    for index in range(CLIPS):
        path = folder / "wavs" / f"{index}.wav"
        samples = np.zeros(3000, np.float32) if index == 4 else 0.1 * generator.standard_normal(2500 + 50 * index).astype(np.float32)
        if index != 7:
            soundfile.write(path, samples, 22050)
        utterances.append(Utterance(audio=str(path), text="a", speaker="s", language="en", duration=0.1))
    write_manifest(folder / "manifest.jsonl", utterances)
    return folder / "manifest.jsonl"


def cache(folder: Path, manifest: Path):
    return cache_for(folder, AudioConfig(), 1e-4, None, manifest)


def files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.glob("*.npz"))}


def test_shards_built_apart_are_the_cache_built_at_once(tmp_path):
    manifest = corpus(tmp_path / "data")
    whole = build_feature_shard(manifest, cache(tmp_path / "whole", manifest), progress=False)
    assert (whole.clips, whole.computed, whole.already_cached) == (CLIPS, CLIPS - 2, 0)
    assert whole.skipped == {SILENT: 1, MISSING_FILE: 1} and whole.first_skipped.audio.endswith("4.wav")
    assert whole.summary().startswith(f"{CLIPS} clip(s): {CLIPS - 2} computed, 0 already cached, 2 skipped")
    reports = [build_feature_shard(manifest, cache(tmp_path / f"shard_{i}", manifest), (i, 3), progress=False) for i in range(3)]
    assert [report.clips for report in reports] == [3, 3, 3]
    assert sum(report.computed for report in reports) == whole.computed
    merged = tmp_path / "merged"
    merged.mkdir()
    for index in range(3):
        for path in (tmp_path / f"shard_{index}").glob("*.npz"):
            shutil.copy(path, merged / path.name)
    assert files(merged) == files(tmp_path / "whole")
    # The merged cache serves a run: nothing is left to compute.
    again = build_feature_shard(manifest, cache(merged, manifest), progress=False)
    assert (again.computed, again.already_cached) == (0, CLIPS - 2) and sum(again.skipped.values()) == 2


def test_worker_processes_build_the_same_files(tmp_path):
    manifest = corpus(tmp_path / "data")
    build_feature_shard(manifest, cache(tmp_path / "one", manifest), progress=False)
    report = build_feature_shard(manifest, cache(tmp_path / "two", manifest), workers=2, progress=False)
    assert report.computed == CLIPS - 2 and files(tmp_path / "two") == files(tmp_path / "one")


@pytest.mark.parametrize("text", ["0/4", "5/4", "2", "a/b", "2/"])
def test_a_shard_is_i_of_n(text):
    with pytest.raises(ShardError, match="1 <= I <= N"):
        parse_shard(text)
    assert parse_shard("2/4") == (1, 4)


def test_the_features_command_fills_the_run_cache_that_train_reads(tmp_path):
    from typer.testing import CliRunner

    from polyvox.cli import app
    from polyvox.config import preset

    manifest = corpus(tmp_path / "data")
    runner = CliRunner()
    outputs = [runner.invoke(app, ["features", "-d", str(manifest), "-o", str(tmp_path / "run"), "--preset", "tiny",
                                   "--shard", f"{i}/2", "-q"]) for i in (1, 2)]
    assert [result.exit_code for result in outputs] == [0, 0], outputs[0].output + outputs[1].output
    assert "shard 1/2: 5 clip(s)" in outputs[0].output and "shard 2/2: 4 clip(s)" in outputs[1].output
    audio, training = preset("tiny").audio, preset("tiny").training
    expected = cache_for(tmp_path / "expected", audio, training.silence_rms_threshold, training.max_clip_s, manifest)
    build_feature_shard(manifest, expected, progress=False)
    assert files(tmp_path / "run" / "cache") == files(tmp_path / "expected")
    for arguments, message in ((["--shard", "3/2"], "1 <= I <= N"), (["--workers", "0"], "--workers must be at least 1")):
        refused = runner.invoke(app, ["features", "-d", str(manifest), "-o", str(tmp_path / "run2"), *arguments])
        assert refused.exit_code == 1 and message in refused.output and len(refused.output.strip().splitlines()) == 1
    assert not (tmp_path / "run2").exists()
