"""recipes/listener_voice.py: ``--resume`` alone goes on with the start its run was begun from."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

RECIPE = Path(__file__).resolve().parent.parent / "recipes" / "listener_voice.py"


def _recipe():
    spec = importlib.util.spec_from_file_location("listener_voice", RECIPE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_run_begun_from_a_given_start_resumes_from_it(tmp_path: Path) -> None:
    recipe = _recipe()
    assert recipe.given_start(tmp_path) is None  # no run yet
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "load_report.json").write_text(json.dumps({"source": "weights/candidate.safetensors", "entries": []}))
    assert recipe.given_start(tmp_path) == Path("weights/candidate.safetensors")
    # A run begun from the converted shipped voice keeps it as work/start.safetensors: that is its start.
    (tmp_path / "start.safetensors").write_bytes(b"")
    assert recipe.given_start(tmp_path) is None


def test_an_annealed_run_ends_at_the_final_learning_rate() -> None:
    import pytest

    from polyvox.config import TrainingConfig
    from polyvox.train.schedule import WarmupThenDecay

    recipe = _recipe()
    decay = recipe.decay_per_step(1e-5, 2000)
    schedule = WarmupThenDecay(recipe.COLD_START_WARMUP_STEPS, decay)
    assert recipe.LEARNING_RATE * schedule(2000) == pytest.approx(1e-5, rel=1e-9)
    assert recipe.LEARNING_RATE * schedule(1000) == pytest.approx((1e-4 * 1e-5) ** 0.5, rel=1e-9)  # half way: geometric
    assert recipe.decay_per_step(None, 2000) is None  # the config's own decay
    TrainingConfig(lr_decay_per_step=decay)  # the override the recipe passes is a valid training setting
    for wrong in (0.0, 2e-4):
        with pytest.raises(ValueError, match="--final-learning-rate"):
            recipe.decay_per_step(wrong, 2000)


def test_a_start_names_the_corpus_s_speakers_as_its_defaults_and_keeps_the_others(tmp_path: Path) -> None:
    """A voice taught Mandarin by espeak-ng's speakers, continued on a corpus Kokoro speaks: Mandarin's default speaker
    becomes the corpus's, and the espeak-ng speakers stay (a user may ask for them by name; #17 asks for 4 speakers)."""
    import dataclasses
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from tiny_voices import make_tiny_voice

    from polyvox.data.manifest import Utterance, write_manifest
    from polyvox.inference.voice import Voice
    from polyvox.voice_file import load_voice_file, save_voice

    recipe = _recipe()
    tensors, metadata = load_voice_file(make_tiny_voice(tmp_path / "tiny.safetensors", 0))  # speakers en_f3, es_m1
    info = {"default_speakers": json.dumps({"en": "en_f3", "es": "en_f3"})}
    start = save_voice(tmp_path / "start.safetensors", tensors, dataclasses.replace(metadata, info=info))
    manifest = tmp_path / "manifest.jsonl"
    clips = [("Hola.", "es_m1", "es"), ("Hello.", "en_f3", "en")]
    write_manifest(manifest, [Utterance(str(tmp_path / f"{i}.wav"), text, speaker, language, 1.0) for i, (text, speaker, language) in enumerate(clips)])
    moved = recipe.start_for_corpus(start, manifest, tmp_path / "work")
    assert moved == tmp_path / "work" / "start_corpus_defaults.safetensors"
    kept, kept_metadata = load_voice_file(moved)
    assert kept_metadata.speakers == metadata.speakers and kept["speaker_embedding.weight"].equal(tensors["speaker_embedding.weight"])
    assert json.loads(kept_metadata.info["default_speakers"]) == {"en": "en_f3", "es": "es_m1"}
    assert Voice.load(moved).text.speaker_id(None, "es") == 1  # es_m1 speaks Spanish unless told otherwise
    assert recipe.start_for_corpus(moved, manifest, tmp_path / "work") == moved  # a resumed run's start stays


def test_the_shipped_voice_counts_its_steps_in_all() -> None:
    recipe = _recipe()
    # A run from the step-7500 voice, chosen at its step 2000 (an earlier run's run_steps inherited and stale).
    info = {"steps": "2000", "source_steps": "7500", "run_steps": "1500"}
    assert recipe.step_counts(info) == {"steps": "9500", "run_steps": "2000"}
    assert recipe.step_counts({"steps": "3000"}) == {}  # a run from scratch: its steps are all


def test_settings_for_the_training_stage_are_checked_before_any_work() -> None:
    import pytest

    recipe = _recipe()
    recipe.check_settings(["model.frame_prior.enabled=true", "training.batch_size=8"])
    for wrong in (["model.frame_prior.kernel_size=4"], ["model.frame_prior"], ["model.no_such_part.enabled=true"]):
        with pytest.raises(ValueError):
            recipe.check_settings(wrong)
