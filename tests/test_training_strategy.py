"""How many processes train, and how (#23): the strategy a user asks for, or a one-line refusal."""

from __future__ import annotations

from pathlib import Path

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


@pytest.mark.parametrize(("nodes", "strategy", "message"), [(1, "fsdp", "fsdp is not supported yet"), (1, "deepspeed", "unknown --strategy"), (0, "auto", "--nodes must be at least 1")])
def test_a_strategy_polyvox_cannot_train_with_is_refused_before_anything_is_written(
    tmp_path: Path, nodes: int, strategy: str, message: str
) -> None:
    with pytest.raises(TrainingSetupError, match=message):
        train(tmp_path / "manifest.jsonl", tmp_path / "run", preset("tiny"), nodes=nodes, strategy=strategy)
    assert not (tmp_path / "run").exists()


def test_the_command_refuses_fsdp_in_one_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from polyvox.cli import app

    result = CliRunner().invoke(app, ["train", "-d", str(tmp_path / "m.jsonl"), "-o", str(tmp_path / "run"), "--strategy", "fsdp"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "--strategy fsdp is not supported yet" in result.output and "--strategy ddp" in result.output
    assert not (tmp_path / "run").exists()
