"""Which process of a multi-process run owns the run folder, and how the others wait for it (#23)."""

from __future__ import annotations

from pathlib import Path

import pytest

from polyvox.errors import TrainingSetupError
from polyvox.train.ranks import TOKEN_VARIABLE, clear_ready, is_follower, launch_token, mark_ready, wait_until_ready

RANK_VARIABLES = ("RANK", "LOCAL_RANK", "NODE_RANK", "SLURM_PROCID", "SLURM_NTASKS", "TORCHELASTIC_RUN_ID", "SLURM_JOB_ID")


@pytest.fixture(autouse=True)
def single_process(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*RANK_VARIABLES, TOKEN_VARIABLE):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(
    ("variables", "follower"),
    [
        ({}, False),
        ({"LOCAL_RANK": "1"}, True),  # Lightning's launcher, second device
        ({"LOCAL_RANK": "0", "NODE_RANK": "1"}, True),  # first device of the second node
        ({"RANK": "0", "LOCAL_RANK": "0"}, False),  # torchrun's rank 0
        ({"RANK": "3", "LOCAL_RANK": "1"}, True),
        ({"SLURM_NTASKS": "4", "SLURM_PROCID": "2"}, True),
        ({"SLURM_NTASKS": "1", "SLURM_PROCID": "0"}, False),
    ],
)
def test_rank_zero_leads_and_every_other_process_follows(monkeypatch, variables: dict[str, str], follower: bool) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    assert is_follower() is follower


def test_a_follower_waits_for_this_launch_and_not_a_marker_an_earlier_one_left(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("TORCHELASTIC_RUN_ID", "earlier")
    mark_ready(tmp_path)
    monkeypatch.setenv("TORCHELASTIC_RUN_ID", "this-launch")
    monkeypatch.setenv("RANK", "1")
    with pytest.raises(TrainingSetupError, match="rank 0 did not prepare"):
        wait_until_ready(tmp_path, timeout_s=0.6)
    monkeypatch.setenv("RANK", "0")
    clear_ready(tmp_path)
    mark_ready(tmp_path)
    monkeypatch.setenv("RANK", "1")
    wait_until_ready(tmp_path, timeout_s=0.6)


def test_rank_zero_makes_up_a_launch_name_its_children_inherit_and_a_lone_follower_is_refused(monkeypatch) -> None:
    monkeypatch.setenv(TOKEN_VARIABLE, "")  # recorded as absent, so the name made up below is removed afterwards
    token = launch_token()
    assert token and launch_token() == token
    monkeypatch.delenv(TOKEN_VARIABLE)
    monkeypatch.setenv("LOCAL_RANK", "1")
    with pytest.raises(TrainingSetupError, match="shares no run id with rank 0"):
        launch_token()


def test_a_follower_with_no_rank_zero_says_which_variable_made_it_one(tmp_path: Path, monkeypatch, caplog) -> None:
    import logging

    import polyvox.train.ranks as ranks

    monkeypatch.setattr(ranks, "STILL_WAITING_S", 0.1)
    monkeypatch.setenv("LOCAL_RANK", "1")
    monkeypatch.setenv(TOKEN_VARIABLE, "launch")
    with caplog.at_level(logging.WARNING, logger="polyvox.train.ranks"), pytest.raises(TrainingSetupError):
        wait_until_ready(tmp_path, timeout_s=0.8)
    assert "LOCAL_RANK=1" in caplog.text and "unset those variables" in caplog.text
