"""--strategy fsdp on two CPU processes (gloo): FSDP2 shards, and the run is the DDP run up to rounding (#23)."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from test_multiprocess_training import MAX_STEPS, _train


def _differences(first: dict[str, torch.Tensor], second: dict[str, torch.Tensor]) -> torch.Tensor:
    assert first.keys() == second.keys()
    return torch.cat([(first[name].float() - second[name].float()).abs().flatten() for name in first])


# Slow (30 s, two processes): the default suite stays under its 10 minutes; run with -m slow.
@pytest.mark.slow
def test_two_sharded_processes_train_as_ddp_does_and_write_whole_weights(small_corpus, tmp_path: Path) -> None:
    corpus_dir = small_corpus[0]
    sharded, stderr = _train(corpus_dir, tmp_path / "fsdp_run", tmp_path / "fsdp", MAX_STEPS, devices=2, strategy="fsdp")
    replicated, _ = _train(corpus_dir, tmp_path / "ddp_run", tmp_path / "ddp", MAX_STEPS, devices=2, strategy="ddp")
    # Rank 1's non-finite batch at BAD_STEP skipped the step in both processes, as under DDP.
    assert [(state["world_size"], state["skipped"], state["steps"]) for state in sharded] == [(2, 1, MAX_STEPS)] * 2
    assert "non-finite generator loss (in another process)" in stderr
    first, second = (state["generator"] for state in sharded)
    assert all(torch.equal(first[name], second[name]) for name in first)
    # The same updates as DDP's up to rounding: reduce-scatter and all-reduce sum in other orders, and AdamW
    # turns a gradient that is zero but for rounding (an attention key's bias) into a step of up to the
    # learning rate (2e-4) either way. A process updating with its own gradient alone moves most weights by that.
    differences = _differences(first, replicated[0]["generator"])
    assert torch.quantile(differences, 0.99) < 1e-5 and differences.max() < 1e-3
    # Rank 0 wrote whole tensors: the checkpoint and the voice hold what the ranks gathered.
    from safetensors.torch import load_file

    voice = load_file(tmp_path / "fsdp_run" / "voice.safetensors")
    assert voice.keys() == first.keys() and all(torch.equal(voice[name], value) for name, value in first.items())


@pytest.mark.slow
def test_a_sharded_run_resumes_exactly_and_across_strategies(small_corpus, tmp_path: Path) -> None:
    corpus_dir = small_corpus[0]
    whole, _ = _train(corpus_dir, tmp_path / "whole_run", tmp_path / "whole", MAX_STEPS + 2, devices=2, strategy="fsdp")
    _train(corpus_dir, tmp_path / "split_run", tmp_path / "first", MAX_STEPS, devices=2, strategy="fsdp")
    resumed, _ = _train(corpus_dir, tmp_path / "split_run", tmp_path / "second", MAX_STEPS + 2, devices=2, resume=True, strategy="fsdp")
    assert [(state["steps"], state["stream_position"]) for state in resumed] == [(MAX_STEPS + 2, 2 * MAX_STEPS + 4)] * 2
    assert all(torch.equal(whole[0]["generator"][name], value) for name, value in resumed[0]["generator"].items())
    # One process goes on from the sharded checkpoint; a DDP checkpoint goes on sharded (each optimizer's
    # states matched to its parameters by position: a wrong match would move the weights far from DDP's).
    (alone,), _ = _train(corpus_dir, tmp_path / "split_run", tmp_path / "alone", MAX_STEPS + 4, devices=1, resume=True)
    assert (alone["steps"], alone["stream_position"]) == (MAX_STEPS + 4, 2 * MAX_STEPS + 6)
    _train(corpus_dir, tmp_path / "ddp_run", tmp_path / "ddp_first", MAX_STEPS, devices=2, strategy="ddp")
    continued, _ = _train(corpus_dir, tmp_path / "ddp_run", tmp_path / "ddp_sharded", MAX_STEPS + 2, devices=2, resume=True, strategy="fsdp")
    ddp_whole, _ = _train(corpus_dir, tmp_path / "ddp_whole_run", tmp_path / "ddp_whole", MAX_STEPS + 2, devices=2, strategy="ddp")
    assert _differences(continued[0]["generator"], ddp_whole[0]["generator"]).max() < 1e-5
