"""``polyvox train --resume`` takes the run's own config: no option repeated, only the given ones compared."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from polyvox.cli import app
from polyvox.config import preset
from polyvox.data.manifest import Utterance, write_manifest
from polyvox.train import run as run_module
from polyvox.train.run import load_or_create_metadata
from polyvox.train.run_config import DIFFERENCES_FILE, stored_run_config

UTTERANCE = Utterance(
    audio="a.wav", text="hello", speaker="en_a", language="en", duration=1.0, phonemes=("h", "ə"), phoneme_durations=(0.5, 0.5)
)


@pytest.fixture
def tiny_run(tmp_path) -> tuple[Path, Path]:
    """A manifest and a run folder started with ``--preset tiny --set training.batch_size=3 --max-steps 4``."""
    manifest = tmp_path / "manifest.jsonl"
    write_manifest(manifest, [UTTERANCE])
    run_dir = tmp_path / "run"
    config = preset("tiny").replace(**{"training.batch_size": 3, "training.max_steps": 4})
    load_or_create_metadata(run_dir, config, [UTTERANCE], resume=False, init_from=None)
    return manifest, run_dir


@pytest.fixture
def trained_configs(monkeypatch) -> list:
    """The configs ``polyvox train`` would train with (nothing is trained)."""
    configs = []

    def record(manifest, run_dir, config, **options):
        configs.append(config)
        return run_module.TrainingResult(Path(run_dir) / "voice.safetensors", config.training.max_steps, None)

    monkeypatch.setattr(run_module, "train", record)
    return configs


def test_resume_without_options_uses_the_runs_own_config(tiny_run, trained_configs):
    manifest, run_dir = tiny_run
    result = CliRunner().invoke(app, ["train", "-d", str(manifest), "-o", str(run_dir), "--resume"])
    assert result.exit_code == 0, result.output
    assert trained_configs == [stored_run_config(run_dir)]
    assert trained_configs[0].model == preset("tiny").model and trained_configs[0].training.batch_size == 3


def test_resume_applies_only_the_options_given(tiny_run, trained_configs):
    manifest, run_dir = tiny_run
    arguments = ["train", "-d", str(manifest), "-o", str(run_dir), "--resume", "--max-steps", "9", "--set", "training.learning_rate=1e-5"]
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 0, result.output
    (config,) = trained_configs
    assert config.model == preset("tiny").model
    assert (config.training.max_steps, config.training.learning_rate, config.training.batch_size) == (9, 1e-5, 3)


def test_a_new_run_without_preset_is_small(tmp_path, trained_configs):
    manifest = tmp_path / "manifest.jsonl"
    write_manifest(manifest, [UTTERANCE])
    result = CliRunner().invoke(app, ["train", "-d", str(manifest), "-o", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    assert trained_configs[0].model == preset("small").model


def test_another_preset_on_resume_is_one_line_with_the_list_in_the_run_folder(tiny_run):
    manifest, run_dir = tiny_run
    result = CliRunner().invoke(app, ["train", "-d", str(manifest), "-o", str(run_dir), "--resume", "--preset", "small"])
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: the run in "), result.output
    assert str(run_dir / DIFFERENCES_FILE) in lines[0] and "leave out --preset" in lines[0]
    listed = (run_dir / DIFFERENCES_FILE).read_text(encoding="utf-8")
    assert "model.text_encoder.hidden_channels: checkpoint=" in listed
