"""The source prior term holds a fine-tune's old languages to the prior the source voice read them with."""

from __future__ import annotations

import pytest
import torch
from finetune_helpers import QUICK, corpora_fixture

from polyvox.config import ConfigError, TrainingConfig, preset
from polyvox.data.manifest import read_manifest
from polyvox.errors import TrainingSetupError
from polyvox.finetune import FinetuneOptions, FinetuneSetupError, plan_finetune, run_finetune
from polyvox.inference.batch import one_torch_thread
from polyvox.models.text_encoder import TextEncoder
from polyvox.text.rules import TextRules
from polyvox.train.source_prior import SourcePrior, prior_divergence
from polyvox.voice_file import load_voice_file, read_metadata

corpora = corpora_fixture("source_prior")
# Fast enough to move the text encoder a long way in a few steps, as a long run at a usual rate would.
STEPS, RATE = 8, 3e-3


@pytest.fixture(autouse=True)
def one_thread():
    with one_torch_thread():
        yield


def _encoder(languages: int = 2) -> TextEncoder:
    config = preset("tiny", ("en",)).model
    torch.manual_seed(0)
    return TextEncoder(12, languages, config.inter_channels, config.text_encoder, config.speaker_channels).eval()


def _inputs(language_ids: list[int]) -> tuple:
    ids = torch.tensor([[1, 2, 3, 4, 5, 6]])
    return ids, torch.tensor([language_ids]), torch.tensor([6]), None, None


def test_only_the_held_languages_tokens_count():
    student = _encoder()
    held = SourcePrior(student, [0])
    with torch.no_grad():
        assert float(held.loss(student, *_inputs([0] * 6))) == pytest.approx(0.0, abs=1e-6)
        student.language_embedding.weight[1] += 1.0  # the new language's row moves: nothing held changes
        assert float(held.loss(student, *_inputs([1] * 6))) == 0.0
        assert float(held.loss(student, *_inputs([0] * 6))) == pytest.approx(0.0, abs=1e-6)
        student.symbol_embedding.weight[3] += 1.0  # a phoneme the held language reads moves: it counts
        assert float(held.loss(student, *_inputs([0] * 6))) > 0.01
        assert float(held.loss(student, *_inputs([1, 1, 0, 0, 1, 1]))) > 0.01


def test_the_divergence_is_the_kl_of_the_two_gaussians():
    source, training = _encoder(), _encoder()
    with torch.no_grad():
        training.stats_projection.bias += 0.3
    a, b = source(*_inputs([0] * 6)), training(*_inputs([0] * 6))
    expected = torch.distributions.kl_divergence(
        torch.distributions.Normal(a.prior_means, a.prior_log_scales.exp()), torch.distributions.Normal(b.prior_means, b.prior_log_scales.exp())
    ).sum(dim=1, keepdim=True)
    assert torch.allclose(prior_divergence(a, b), expected, atol=1e-5)


def _english_divergence(source_path, trained: dict[str, torch.Tensor]) -> float:
    """How far a trained generator's English prior is from the source's, on English sentences."""
    source_state, source_metadata = load_voice_file(source_path)
    model = source_metadata.config.model
    sizes = {"symbol_embedding.weight": len(source_metadata.symbols), "language_embedding.weight": len(source_metadata.languages)}
    encoders = []
    for weights in (source_state, trained):
        # The source's rows of the grown tables: the tokens of its own English sentences.
        rows = {name.removeprefix("text_encoder."): value.float() for name, value in weights.items() if name.startswith("text_encoder.")}
        rows = {name: value[: sizes[name]] if name in sizes else value for name, value in rows.items()}
        encoder = TextEncoder(sizes["symbol_embedding.weight"], sizes["language_embedding.weight"], model.inter_channels, model.text_encoder, model.speaker_channels)
        encoder.load_state_dict(rows)
        encoders.append(encoder.eval())
    rules = TextRules.of(source_metadata)
    total = 0.0
    sentences = ["The cat sat on the mat.", "We need chicken, oil and onions.", "Where is the station?"]
    for sentence in sentences:
        encoded = rules.encode(sentence, "en")
        inputs = (torch.tensor([encoded.phoneme_ids]), torch.tensor([encoded.language_ids]), torch.tensor([len(encoded.phoneme_ids)]), None, None)
        with torch.no_grad():
            total += float(prior_divergence(encoders[0](*inputs), encoders[1](*inputs)).mean())
    return total / len(sentences)


def _spanish_run(corpora, tmp_path, name: str, *extra: str):
    options = FinetuneOptions(
        add_language="es", replay=corpora.old, freeze="language", steps=STEPS, learning_rate=RATE,
        overrides=(*QUICK, "training.precision=32", "training.checkpoint_every_steps=100", *extra),
    )
    plan = plan_finetune(corpora.voice, corpora.spanish, tmp_path / f"{name}.safetensors", tmp_path / name, options)
    run_finetune(plan, progress=False)
    return plan


def test_a_new_language_moves_the_old_ones_prior_less_with_the_term(corpora, tmp_path):
    free = _spanish_run(corpora, tmp_path, "free")
    held = _spanish_run(corpora, tmp_path, "held", "training.source_prior_weight=10", "training.source_prior_languages=[\"en\"]")
    assert free.module.source_prior is None
    assert any("source prior: en held" in note for note in held.report.notes)
    # The last step's weights (the output voice is the best validation step, which may be an early one).
    moved_free = _english_divergence(corpora.voice, free.module.generator.state_dict())
    moved_held = _english_divergence(corpora.voice, held.module.generator.state_dict())
    assert moved_held < 0.5 * moved_free, (moved_held, moved_free)
    # The copy is no part of the voice: the written voice has exactly the tensors of a run without the term.
    assert set(load_voice_file(held.output)[0]) == set(load_voice_file(free.output)[0])
    assert not any(name.startswith("source_prior") for name in held.module.state_dict())
    # And the new language did learn: Spanish's row left its start in both runs.
    spanish = read_metadata(held.output).languages.index("es")
    start = held.module.generator.text_encoder.language_embedding.weight  # after training
    assert not torch.equal(start[spanish], load_voice_file(corpora.voice)[0]["text_encoder.language_embedding.weight"][0].to(start.dtype))


def test_bad_settings_are_refused_before_anything_is_written(corpora, tmp_path):
    options = FinetuneOptions(steps=2, overrides=(*QUICK, "training.source_prior_weight=1", "training.source_prior_languages=[\"fr\"]"))
    with pytest.raises(FinetuneSetupError, match="source_prior_languages names fr, which the source voice does not speak; choose among en"):
        plan_finetune(corpora.voice, corpora.new_speaker, tmp_path / "out.safetensors", tmp_path / "run", options)
    assert not (tmp_path / "run").exists() and not (tmp_path / "out.safetensors").exists()
    with pytest.raises(ConfigError, match="source_prior_weight must be >= 0"):
        TrainingConfig(source_prior_weight=-1.0)
    assert TrainingConfig().source_prior_weight == 0.0


def test_training_from_scratch_with_the_term_is_refused(corpora, tmp_path):
    from polyvox.train.run import train

    config = preset("tiny", ("en",)).replace(**{"training.source_prior_weight": 1.0})
    with pytest.raises(TrainingSetupError, match="source_prior_weight holds a fine-tune.*polyvox finetune"):
        train(corpora.old, tmp_path / "run", config, progress=False)
    assert not (tmp_path / "run").exists()
    assert read_manifest(corpora.old)  # the data are untouched
