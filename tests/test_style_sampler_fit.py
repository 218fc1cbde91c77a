"""The style sampler fitted on the finished voice when a run ends (training.style_sampler_fit_steps).

A tiny voice learns labels that follow the sentence (exclamations excited, questions calm, statements neutral) for a
few steps; its output voice's sampler is then fitted alone. Its draws for each kind of the training sentences are
compared with those of the same run's sampler as training left it (the last checkpoint's).
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path

import pytest
import torch

from polyvox.data.corpus import generate_corpus
from polyvox.data.corpus.espeak_engine import EspeakEngine
from polyvox.data.corpus.sentence_kinds import SENTENCE_KIND_STYLES, sentence_kind
from polyvox.data.manifest import read_manifest
from polyvox.evaluation.style_fit import drawn_styles, label_rows, nearest_label_shares
from polyvox.inference.voice import Voice
from polyvox.train.style_sampler_fit import FIT_INFO_KEY, fit_voice_file_sampler
from polyvox.voice_file import load_voice_file
from test_style import train_tiny_style_voice

SAMPLER = {
    "model.style_sampler.enabled": True, "model.style_sampler.hidden_channels": 32,
    "model.style_sampler.condition_normalization": "standardized",
}


@pytest.fixture(scope="module")
def kind_run(tmp_path_factory: pytest.TempPathFactory, engine: EspeakEngine) -> tuple[Path, list]:
    """(the run folder of a tiny style voice trained 6 steps with a sampler, its corpus's utterances)."""
    folder = tmp_path_factory.mktemp("sampler_fit")
    generate_corpus(folder / "corpus", ["en"], 1, 12, seed=11, progress=False, engine=engine,
                    styles=("excited", "calm", "neutral"), style_by="sentence")
    manifest = folder / "corpus" / "manifest.jsonl"
    voice = train_tiny_style_voice(manifest, folder, 6, **SAMPLER)
    return voice.parent, read_manifest(manifest)


def unfitted_voice(run: Path) -> Voice:
    """The run's voice with its sampler as training left it (the last checkpoint's)."""
    voice = Voice.load(run / "voice.safetensors")
    checkpoint = torch.load(sorted((run / "checkpoints").glob("*.ckpt"))[-1], map_location="cpu", weights_only=False)
    prefix = "generator.style_sampler."
    trained = {name[len(prefix):]: value for name, value in checkpoint["state_dict"].items() if name.startswith(prefix)}
    voice.generator.style_sampler.load_state_dict(trained)
    return voice


def own_kind_share(voice: Voice, utterances: list) -> float:
    """The share of draws (3 seeds per training sentence) nearest the row of the sentence's own label."""
    rows = label_rows(voice)
    hits = []
    for utterance in utterances:
        shares = nearest_label_shares(drawn_styles(voice, [utterance.text], utterance.speaker, range(3)), rows)
        hits.append(shares[SENTENCE_KIND_STYLES[sentence_kind(utterance.text)]])
    return sum(hits) / len(hits)


def test_the_corpus_has_every_kind(kind_run):
    _, utterances = kind_run
    assert Counter(u.style for u in utterances) == {"excited": 4, "calm": 4, "neutral": 4}


def test_a_finished_runs_sampler_is_fitted_and_draws_each_sentences_own_label(kind_run):
    # Measured: the fitted sampler draws the row of the sentence's own label in 0.86 of draws; as training left it, 0.33.
    run, utterances = kind_run
    tensors, metadata = load_voice_file(run / "voice.safetensors")
    assert metadata.info[FIT_INFO_KEY] == "2000"
    fitted = own_kind_share(Voice.load(run / "voice.safetensors"), utterances)
    unfitted = own_kind_share(unfitted_voice(run), utterances)
    assert fitted >= 0.75 and fitted - unfitted >= 0.3


def test_a_fitted_voice_is_not_fitted_again_and_nothing_is_fitted_when_off(kind_run, tmp_path):
    from polyvox.config import TrainingConfig
    from polyvox.voice_file import save_voice

    run, _ = kind_run
    before = (run / "voice.safetensors").read_bytes()
    assert fit_voice_file_sampler(run / "voice.safetensors", [object()], None, TrainingConfig(), half=False) is None  # type: ignore[list-item]
    assert (run / "voice.safetensors").read_bytes() == before
    tensors, metadata = load_voice_file(run / "voice.safetensors")
    info = {name: value for name, value in metadata.info.items() if name != FIT_INFO_KEY}
    unmarked = save_voice(tmp_path / "unmarked.safetensors", tensors, dataclasses.replace(metadata, info=info))
    off = TrainingConfig(style_sampler_fit_steps=0)
    assert fit_voice_file_sampler(unmarked, [object()], None, off, half=False) is None  # type: ignore[list-item]
    assert load_voice_file(unmarked)[1].info.get(FIT_INFO_KEY) is None


def test_the_fit_settings_are_validated():
    from polyvox.config import ConfigError, TrainingConfig

    with pytest.raises(ConfigError, match="style_sampler_fit_steps must be >= 0"):
        TrainingConfig(style_sampler_fit_steps=-1)
    with pytest.raises(ConfigError, match="style_sampler_fit_learning_rate must be > 0"):
        TrainingConfig(style_sampler_fit_learning_rate=0.0)
