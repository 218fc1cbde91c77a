"""Fine-tuning that keeps the step a speech recognizer understands best (``--listener``), not the lowest mel loss."""

from __future__ import annotations

from pathlib import Path

import pytest
from finetune_helpers import QUICK, corpora_fixture
from whisper_helpers import build_tiny_whisper, convert_to_ctranslate2

from polyvox.voice_file import read_metadata
from polyvox.evaluation.errors import EvaluationError
from polyvox.finetune import FinetuneOptions, plan_finetune, run_finetune
from polyvox.inference.batch import one_torch_thread

pytest.importorskip("faster_whisper")
corpora = corpora_fixture("finetune_listener")


@pytest.fixture(scope="module")
def whisper(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("whisper")
    return convert_to_ctranslate2(build_tiny_whisper(folder / "transformers"), folder / "ctranslate2")


def scalars(run_dir: Path, tag: str) -> dict[int, float]:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(run_dir / "logs"))
    events.Reload()
    return {event.step: event.value for event in events.Scalars(tag)}


def test_the_output_is_the_step_with_the_lowest_listener_error_rate(corpora, whisper: Path, tmp_path: Path) -> None:
    options = FinetuneOptions(steps=4, learning_rate=1e-3, overrides=QUICK, listener=whisper)
    with one_torch_thread():
        plan = plan_finetune(corpora.voice, corpora.new_speaker, tmp_path / "out.safetensors", tmp_path / "run", options)
        result = run_finetune(plan, progress=False)
    curve = scalars(tmp_path / "run", "val_en/listener_cer")
    assert sorted(curve) == [0, 2, 4]  # the start and every validation were heard
    assert all(value >= 0 for value in curve.values())
    mel = scalars(tmp_path / "run", "val_en/mel_loss")
    # The lowest error rate; of equal ones the lower mel loss; of those the first (a later step must be better).
    best_step = min(curve, key=lambda step: (curve[step], mel[step]))
    assert result.best_figure == "listener_cer" and result.best_step == best_step
    assert result.best_score == pytest.approx(curve[best_step], rel=1e-5)
    info = read_metadata(result.voice_path).info
    assert info["steps"] == str(best_step) and float(info["validation_listener_cer"]) == pytest.approx(curve[best_step], rel=1e-4)


def test_a_folder_that_is_no_whisper_model_fails_before_any_work(corpora, tmp_path: Path) -> None:
    options = FinetuneOptions(steps=2, overrides=QUICK, listener=tmp_path)
    plan = plan_finetune(corpora.voice, corpora.new_speaker, tmp_path / "out.safetensors", tmp_path / "run", options)
    with pytest.raises(EvaluationError):
        run_finetune(plan, progress=False)
    assert not (tmp_path / "run" / "cache").exists() and not (tmp_path / "out.safetensors").exists()
