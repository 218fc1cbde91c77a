"""#24 items 1, 4, 5, 6: a training run folder never loses a run, is trained by one process at a time,
resumes past a broken newest checkpoint, refuses a planted pickle, and cleans up after a killed or full-disk write."""

from __future__ import annotations

import errno
import logging
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch

from polyvox.voice_file import read_metadata
from polyvox.errors import OutputWriteError, TrainingSetupError, UnsafeCheckpointError
from polyvox.train.callbacks import StepCheckpoint, checkpoint_files
from polyvox.train.run import train
from polyvox.train.run_folder import newest_resume_point, open_run_folder, run_folder_lock

from robustness_helpers import RUN_STEPS, tiny_config


def _manifest(small_corpus) -> Path:
    return small_corpus[0] / "manifest.jsonl"


def _snapshot(run: Path) -> dict[str, bytes]:
    return {str(path.relative_to(run)): path.read_bytes() for path in [run / "voice.safetensors", *checkpoint_files(run / "checkpoints")]}


def test_training_into_a_folder_holding_a_run_is_refused_and_nothing_changes(small_corpus, run_copy):
    before = _snapshot(run_copy)
    with pytest.raises(TrainingSetupError, match=r"already holds a run \(2 checkpoint\(s\), newest step-4.ckpt.*--resume.*--overwrite"):
        train(_manifest(small_corpus), run_copy, tiny_config(2), progress=False, validation_per_language=0)
    assert _snapshot(run_copy) == before


def test_overwrite_replaces_the_run(small_corpus, run_copy):
    result = train(_manifest(small_corpus), run_copy, tiny_config(2), progress=False, validation_per_language=0, overwrite=True)
    assert result.steps == 2
    assert [path.name for path in checkpoint_files(run_copy / "checkpoints")] == ["step-2.ckpt"]
    assert read_metadata(run_copy / "voice.safetensors").info["steps"] == "2"


def test_pruning_never_deletes_the_checkpoint_just_written(tmp_path, trained_run):
    folder = tmp_path / "checkpoints"
    folder.mkdir()
    for step in (165, 170):
        (folder / f"step-{step}.ckpt").write_bytes(b"older run")
    metadata = read_metadata(trained_run / "voice.safetensors")
    trainer = SimpleNamespace(is_global_zero=True, save_checkpoint=lambda path, weights_only: Path(path).write_bytes(b"new"))
    module = SimpleNamespace(steps_done=3, metadata=metadata, generator=torch.nn.Linear(2, 2))
    StepCheckpoint(folder, tmp_path / "voice.safetensors", every_steps=3, keep=2).save(trainer, module)
    assert (folder / "step-3.ckpt").read_bytes() == b"new"


def test_resuming_a_finished_run_says_it_is_complete_and_writes_nothing(small_corpus, run_copy, caplog):
    before = _snapshot(run_copy)
    with caplog.at_level(logging.WARNING):
        result = train(_manifest(small_corpus), run_copy, tiny_config(RUN_STEPS), resume=True, progress=False, validation_per_language=0)
    assert result.already_complete and result.steps == RUN_STEPS
    assert "is complete" in caplog.text
    assert _snapshot(run_copy) == before


@pytest.mark.parametrize("damage", ["truncated", "empty", "not polyvox"])
def test_an_unreadable_newest_checkpoint_is_set_aside_for_the_newest_that_loads(run_copy, caplog, damage):
    newest = run_copy / "checkpoints" / "step-4.ckpt"
    content = {"truncated": newest.read_bytes()[:5000], "empty": b""}.get(damage)
    if content is None:
        torch.save({"state_dict": {}}, newest)
    else:
        newest.write_bytes(content)
    with caplog.at_level(logging.WARNING):
        point = newest_resume_point(run_copy / "checkpoints")
    assert point is not None and point.path.name == "step-2.ckpt" and point.steps_done == 2
    assert "step-4.ckpt" in caplog.text and "renamed to step-4.ckpt.unreadable" in caplog.text
    assert (run_copy / "checkpoints" / "step-4.ckpt.unreadable").is_file()  # kept, not deleted


def test_resume_past_a_truncated_checkpoint_reaches_max_steps(small_corpus, run_copy):
    newest = run_copy / "checkpoints" / "step-4.ckpt"
    newest.write_bytes(newest.read_bytes()[:5000])
    result = train(_manifest(small_corpus), run_copy, tiny_config(5), resume=True, progress=False, validation_per_language=0)
    assert result.steps == 5 and not result.already_complete


class _Planted:
    def __reduce__(self):
        return (os.getpid, ())


def test_a_planted_pickle_is_refused_with_the_weights_only_message(small_corpus, run_copy):
    torch.save({"polyvox": _Planted()}, run_copy / "checkpoints" / "step-9.ckpt")
    with pytest.raises(UnsafeCheckpointError, match=r"step-9.ckpt holds objects other than tensors.*weights_only=True"):
        train(_manifest(small_corpus), run_copy, tiny_config(10), resume=True, progress=False, validation_per_language=0)
    assert (run_copy / "checkpoints" / "step-9.ckpt").is_file()


def test_a_second_process_is_refused_with_the_first_ones_pid(tmp_path):
    with run_folder_lock(tmp_path):
        with pytest.raises(TrainingSetupError, match=f"in use by another polyvox process \\(pid {os.getpid()}\\)"):
            with run_folder_lock(tmp_path):
                pass
    with run_folder_lock(tmp_path):  # released when the holder ends
        pass


@pytest.mark.slow
def test_polyvox_train_on_a_locked_run_folder_names_the_other_process(small_corpus, run_copy):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pathlib import Path; from polyvox.train.run_folder import run_folder_lock\n"
         "with run_folder_lock(Path(sys.argv[1])):\n    print('held', flush=True); time.sleep(60)", str(run_copy)],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        result = subprocess.run(
            [sys.executable, "-m", "polyvox.cli", "train", "-d", str(_manifest(small_corpus)), "-o", str(run_copy), "--resume"],
            capture_output=True, text=True, timeout=120,
        )
    finally:
        holder.kill()
        holder.wait()
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: {run_copy} is in use by another polyvox process (pid {holder.pid}); wait for it to end or stop it, then run again"
    )


def test_leftover_partial_files_are_removed_at_the_next_start(run_copy):
    leftovers = [run_copy / ".voice.safetensors.k2j4.partial", run_copy / "checkpoints" / ".step-171.ckpt.partial"]
    for path in leftovers:
        path.write_bytes(b"")
    with open_run_folder(run_copy, resume=True, overwrite=False):
        assert not any(path.exists() for path in leftovers)


def test_a_full_disk_during_a_checkpoint_is_one_line_and_keeps_the_earlier_checkpoints(run_copy, trained_run):
    folder = run_copy / "checkpoints"
    before = _snapshot(run_copy)

    def fill_the_disk(path, weights_only):
        Path(path).write_bytes(b"x" * 1000)
        raise OSError(errno.ENOSPC, "No space left on device")

    trainer = SimpleNamespace(is_global_zero=True, save_checkpoint=fill_the_disk)
    module = SimpleNamespace(steps_done=6, metadata=read_metadata(trained_run / "voice.safetensors"), generator=torch.nn.Linear(2, 2))
    with pytest.raises(OutputWriteError) as raised:
        StepCheckpoint(folder, run_copy / "voice.safetensors", every_steps=2, keep=3).save(trainer, module)
    message = str(raised.value)
    assert "\n" not in message
    assert f"cannot write {folder / 'step-6.ckpt'}: no space left on the device" in message
    size = (folder / "step-4.ckpt").stat().st_size
    assert f"about {size / 1e6:.1f} MB needed" in message
    assert not list(folder.glob(".*.partial"))
    assert _snapshot(run_copy) == before


def test_finetune_takes_the_run_folder_lock_too(tmp_path):
    from polyvox.finetune import run_finetune

    with run_folder_lock(tmp_path):
        with pytest.raises(TrainingSetupError, match="in use by another polyvox process"):
            run_finetune(SimpleNamespace(run_dir=tmp_path))


def test_polyvox_train_on_a_full_disk_ends_in_one_line(small_corpus, tmp_path, monkeypatch):
    import lightning as L
    from typer.testing import CliRunner

    from polyvox.cli import app

    def fill_the_disk(self, path, weights_only=False):
        Path(path).write_bytes(b"x" * 1000)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(L.Trainer, "save_checkpoint", fill_the_disk)
    run = tmp_path / "run"
    result = CliRunner().invoke(
        app, ["train", "-d", str(_manifest(small_corpus)), "-o", str(run), "--preset", "tiny", "--max-steps", "2",
              "--set", "training.checkpoint_every_steps=1", "--set", "training.discriminator_start_step=1000"],
    )
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    last = result.output.strip().splitlines()[-1]  # (after the progress bar, on the terminal's next line)
    assert last.count("error: ") == 1 and last.endswith("the earlier checkpoints are kept (--resume goes on from them)"), last
    assert f"error: cannot write {run / 'checkpoints' / 'step-1.ckpt'}: no space left on the device" in last
    assert "about 1 kB needed" in last
    assert "Traceback" not in result.output
    assert not list((run / "checkpoints").glob(".*.partial"))
