"""How many processes train, and how (#23): the strategy a user asks for, or a one-line refusal."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from lightning.pytorch.strategies import DDPStrategy

from polyvox.config import preset
from polyvox.errors import TrainingSetupError
from polyvox.train.run import train
from polyvox.train.trainer_setup import training_strategy


@pytest.mark.parametrize(("devices", "nodes", "strategy"), [(2, 1, "auto"), ("2", 1, "auto"), (1, 2, "auto"), (1, 1, "ddp")])
def test_several_processes_train_with_ddp_that_allows_unused_parameters(devices, nodes: int, strategy: str) -> None:
    chosen = training_strategy(devices, nodes, strategy)
    assert isinstance(chosen, DDPStrategy)
    assert chosen._ddp_kwargs.get("find_unused_parameters") is True


def test_one_process_is_left_to_lightning() -> None:
    assert training_strategy(1) == "auto" and training_strategy("auto") == "auto"


@pytest.mark.parametrize(("nodes", "strategy", "message"), [(1, "deepspeed", "unknown --strategy"), (0, "auto", "--nodes must be at least 1")])
def test_a_strategy_polyvox_cannot_train_with_is_refused_before_anything_is_written(
    tmp_path: Path, nodes: int, strategy: str, message: str
) -> None:
    with pytest.raises(TrainingSetupError, match=message):
        train(tmp_path / "manifest.jsonl", tmp_path / "run", preset("tiny"), nodes=nodes, strategy=strategy)
    assert not (tmp_path / "run").exists()


def test_fsdp_shards_with_fsdp2_over_every_process() -> None:
    from polyvox.train.sharding import ShardedDataParallel

    for devices, nodes in ((2, 1), (1, 2), (1, 1)):
        assert isinstance(training_strategy(devices, nodes, "fsdp"), ShardedDataParallel)


def test_the_command_refuses_an_unknown_strategy_in_one_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from polyvox.cli import app

    result = CliRunner().invoke(app, ["train", "-d", str(tmp_path / "m.jsonl"), "-o", str(tmp_path / "run"), "--strategy", "deepspeed"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    lines = [line for line in result.output.strip().splitlines() if line.startswith("error: ")]
    assert len(lines) == 1 and "unknown --strategy 'deepspeed': use one of auto, ddp, fsdp" in lines[0]
    assert not (tmp_path / "run").exists()


def test_the_config_says_how_many_processes_and_the_command_line_overrides_it(tmp_path: Path, monkeypatch) -> None:
    from typer.testing import CliRunner

    import polyvox.train.run as run_module
    from polyvox.cli import app
    from polyvox.config import ConfigError

    seen: list[tuple] = []

    def trained(*args, **kwargs) -> SimpleNamespace:
        seen.append((args[4], args[5], kwargs["nodes"], kwargs["strategy"]))
        return SimpleNamespace(already_complete=True, steps=0, voice_path=tmp_path / "voice.safetensors")

    monkeypatch.setattr(run_module, "_train_in_folder", trained)
    monkeypatch.setenv("POLYVOX_RUN_TOKEN", "strategy-test")  # --nodes 3 started by hand needs one (train/ranks.py)
    manifest = tmp_path / "m.jsonl"
    manifest.write_text("")
    config = preset("tiny").replace(**{"training.devices": 2, "training.strategy": "ddp", "training.nodes": 3})
    train(manifest, tmp_path / "a", config)
    train(manifest, tmp_path / "b", config, devices=1, nodes=1, strategy="auto", accelerator="cpu")
    assert seen == [("cpu", 2, 3, "ddp"), ("cpu", 1, 1, "auto")]
    sets = ["--set", "training.devices=2", "--set", "training.strategy=ddp"]
    for extra, expected in (([], ("cpu", 2, 1, "ddp")), (["--devices", "1", "--strategy", "auto"], ("cpu", 1, 1, "auto"))):
        result = CliRunner().invoke(app, ["train", "-d", str(manifest), "-o", str(tmp_path / f"cli{len(extra)}"), "--preset", "tiny", *sets, *extra])
        assert result.exit_code == 0, result.output
        assert seen[-1] == expected
    assert preset("tiny").replace(**{"training.strategy": "fsdp"}).training.strategy == "fsdp"
    for key, value in (("training.devices", 0), ("training.nodes", 0), ("training.strategy", "deepspeed")):
        with pytest.raises(ConfigError, match=key.split(".")[1]):
            preset("tiny").replace(**{key: value})


def test_lightnings_fsdp_strategy_still_refuses_cpus() -> None:
    """Why --strategy fsdp goes through FSDP2 and ModelParallelStrategy (train/sharding.py), not FSDPStrategy."""
    import lightning as L

    with pytest.raises(ValueError, match="requires a GPU accelerator"):
        L.Trainer(accelerator="cpu", devices=2, strategy="fsdp", logger=False)
