"""#20 item 2's promise, "varied, fitting prosody without a reference": a corpus whose style follows the sentence
(``polyvox corpus --style-by sentence``) and a style voice trained on it whose sampled styles fit held-out sentences.

The corpus tests are fast; the voice is the bundled voice fine-tuned on such a corpus (``evaluation/style_voice.py``),
a few minutes at one thread, so its test is slow. Measured figures are in the comments and docs/synthesis.md.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
import torch
from typer.testing import CliRunner

from polyvox.cli import app
from polyvox.data.corpus import generate_corpus
from polyvox.data.corpus.errors import CorpusError
from polyvox.data.corpus.espeak_engine import EspeakEngine
from polyvox.data.corpus.plan import plan_corpus
from polyvox.data.corpus.sentence_kinds import SENTENCE_KIND_STYLES, sentence_kind
from polyvox.data.manifest import read_manifest
from polyvox.evaluation.style_fit import (
    condition_separation, drawn_styles, held_out_sentences, label_rows, mean_distance, nearest_label_shares, shuffled,
    train_sampler_alone,
)
from polyvox.inference.voice import Voice

FIT_STYLES = ("excited", "calm", "neutral")


def no_sounds(text: str, language: str) -> set:
    return set()


def test_a_sentences_kind_is_its_final_mark_in_every_script():
    assert sentence_kind("What a lovely house!") == "exclamation"
    assert sentence_kind("Does the baker cook dinner?") == "question"
    assert sentence_kind("The baker cooks dinner.") == "statement"
    assert sentence_kind("¿Dónde está el tren?") == "question"
    assert sentence_kind("他今天去学校吗？") == "question" and sentence_kind("太好了！") == "exclamation"
    assert sentence_kind("هل تذهب إلى المدرسة؟") == "question"
    assert sentence_kind("Wait") == "statement"


def test_style_by_sentence_labels_each_clip_by_its_kind_in_equal_shares(tmp_path: Path, engine: EspeakEngine):
    report = generate_corpus(
        tmp_path, ["en"], 2, 6, seed=11, progress=False, engine=engine, styles=FIT_STYLES, style_by="sentence"
    )
    utterances = read_manifest(tmp_path / "manifest.jsonl")
    assert [u.style for u in utterances] == [SENTENCE_KIND_STYLES[sentence_kind(u.text)] for u in utterances]
    assert Counter(u.style for u in utterances) == {"excited": 4, "calm": 4, "neutral": 4}
    assert report.style_by == "sentence" and json.loads((tmp_path / "corpus_report.json").read_text())["style_by"] == "sentence"
    assert "styles by sentence kind: exclamations excited, questions calm, statements neutral" in report.summary()


def test_the_kinds_are_balanced_only_when_asked_and_the_usual_plan_is_mostly_statements():
    # The grammar's usual draw (in turn, or unlabelled; no covering here): 10 exclamations and 28 questions of 120 (seed 11).
    usual = Counter(sentence_kind(text) for _, text in plan_corpus(["en"], 2, 60, 11, sounds=no_sounds).utterances)
    balanced = plan_corpus(["en"], 2, 60, 11, sounds=no_sounds, balance_kinds=True).utterances
    assert usual["exclamation"] < 15 and usual["statement"] > 80
    assert Counter(sentence_kind(text) for _, text in balanced) == {"exclamation": 40, "question": 40, "statement": 40}
    for speaker in ("en_f3", "en_m1"):  # both speakers say every kind
        kinds = Counter(sentence_kind(text) for who, text in balanced if who.name == speaker)
        assert min(kinds.values()) >= 15


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--styles", "excited,calm,neutral", "--style-by", "mood"], "error: unknown --style-by 'mood'; known: turn, sentence"),
        (
            ["--style-by", "sentence"],
            "error: --style-by sentence needs --styles excited,calm,neutral "
            "(it labels exclamations excited, questions calm, statements neutral)",
        ),
        (
            ["--styles", "excited,calm,neutral,sad", "--style-by", "sentence"],
            "error: --style-by sentence labels exclamations excited, questions calm, statements neutral: "
            "give --styles excited,calm,neutral, not excited,calm,neutral,sad",
        ),
    ],
)
def test_bad_style_by_is_refused_in_one_line_before_any_work(tmp_path: Path, options: list[str], message: str):
    result = CliRunner().invoke(app, ["corpus", str(tmp_path / "out"), "--languages", "en", *options])
    assert result.exit_code == 1
    assert result.stderr.strip() == message
    assert not (tmp_path / "out").exists()
    with pytest.raises(CorpusError, match=r"--style-by"):
        generate_corpus(tmp_path / "lib", ["en"], 1, 2, progress=False, styles=("calm",), style_by="sentence")
    assert not (tmp_path / "lib").exists()


def test_held_out_sentences_are_new_and_of_each_kind():
    corpus = {text for _, text in plan_corpus(["en"], 2, 60, 11, sounds=no_sounds, balance_kinds=True).utterances}
    held_out = held_out_sentences("en", 8, 12345, corpus)
    assert {kind: len(texts) for kind, texts in held_out.items()} == {"exclamation": 8, "question": 8, "statement": 8}
    assert all(sentence_kind(text) == kind and text not in corpus for kind, texts in held_out.items() for text in texts)
    controls = shuffled(held_out, 0)
    assert [len(texts) for texts in controls.values()] == [8, 8, 8]
    assert {sentence_kind(text) for texts in controls.values() for text in texts} == set(held_out)  # drawn from every kind


def test_nearest_label_shares_count_each_draw_once_by_its_nearest_row():
    rows = {"excited": torch.tensor([1.0, 0.0]), "calm": torch.tensor([0.0, 1.0]), "neutral": torch.tensor([0.0, 0.0])}
    styles = torch.tensor([[0.9, 0.1], [0.8, -0.2], [0.1, 0.7], [0.1, 0.1]])
    assert nearest_label_shares(styles, rows) == {"excited": 0.5, "calm": 0.25, "neutral": 0.25}
    assert mean_distance(styles[:1], rows["excited"]) == pytest.approx(0.02**0.5)


# The bundled voice fine-tuned with labels and a sampler (standardized condition, its own learning rate) on a
# --style-by sentence corpus, as benchmarks/style_fit.py makes it (300 steps: 7-11 min at one busy thread, beyond the
# suite's 600 s per test: the first test to use it pays).
FIT_TIMEOUT_S = 2400
FIT_STEPS = 300
FIT_LEARNING_RATE = 5e-4
HELD_OUT_SEED = 12345


@pytest.fixture(scope="module")
def fitted_voice(tmp_path_factory: pytest.TempPathFactory, engine: EspeakEngine) -> tuple[Path, Path]:
    """(the fine-tuned voice, its corpus's manifest)."""
    from polyvox.evaluation.style_voice import finetune_style_voice

    folder = tmp_path_factory.mktemp("style_fit")
    generate_corpus(folder / "corpus", ["en"], 2, 60, seed=11, progress=False, engine=engine, styles=FIT_STYLES, style_by="sentence")
    manifest = folder / "corpus" / "manifest.jsonl"
    torch.manual_seed(0)
    return finetune_style_voice(manifest, folder / "run", folder / "voice.safetensors", FIT_STEPS, FIT_LEARNING_RATE), manifest


def exclamations_and_statements(voice: Voice, manifest: Path, speaker: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Styles the voice draws for 8 held-out exclamations and 8 held-out statements, 3 seeds each."""
    held_out = held_out_sentences("en", 8, HELD_OUT_SEED, {u.text for u in read_manifest(manifest)})
    return drawn_styles(voice, held_out["exclamation"], speaker, range(3)), drawn_styles(voice, held_out["statement"], speaker, range(3))


def assert_exclamations_draw_nearer_the_excited_row(voice: Voice, manifest: Path) -> None:
    rows = label_rows(voice)
    for speaker in ("en_f3", "en_m1"):
        exclamations, statements = exclamations_and_statements(voice, manifest, speaker)
        assert mean_distance(statements, rows["excited"]) - mean_distance(exclamations, rows["excited"]) > 0.3
        shares = nearest_label_shares(exclamations, rows)["excited"], nearest_label_shares(statements, rows)["excited"]
        assert shares[0] - shares[1] > 0.25


@pytest.mark.slow
@pytest.mark.timeout(FIT_TIMEOUT_S)
def test_sampled_styles_of_held_out_exclamations_lie_nearer_the_excited_row_than_statements(fitted_voice):
    """What --style sample promises a user: on sentences the voice never saw, an exclamation draws a style nearer the
    excited label's row than a statement does, by a margin well beyond the seed's noise (the rows lie 2.9-3.3 apart).
    Measured (benchmarks/style_fit.py, en_f3 / en_m1): statements' draws 0.71 / 0.78 farther from the excited row than
    exclamations', nearest it 0.67 / 0.54 less often. With the raw condition at the voice's learning rate (as before
    model.style_sampler.condition_normalization and training.style_sampler_learning_rate) every kind drew alike
    (gaps under 0.01 and 0); with the standardized condition alone, 0.44 / 0.44 and 0.33 / 0.33."""
    voice_path, manifest = fitted_voice
    assert_exclamations_draw_nearer_the_excited_row(Voice.load(voice_path), manifest)


@pytest.mark.slow
@pytest.mark.timeout(FIT_TIMEOUT_S)
def test_the_same_sampler_trained_alone_longer_reads_the_kind_from_its_condition(fitted_voice):
    """What the condition allows beyond the fine-tune: the voice's own sampler, trained on alone for 2000 steps at 1e-3
    (seconds) on the conditions and label rows the fine-tune fed it, draws held-out exclamations nearest the excited
    row. Measured (benchmarks/style_fit.py (d)): exclamations 0.50 / 0.57 from it (en_f3 / en_m1), nearest it in every
    draw; statements 3.26 / 3.03, never nearest it; questions nearest calm in 0.79 / 0.83 of draws (with the raw
    condition they were drawn as statements)."""
    voice_path, manifest = fitted_voice
    voice = Voice.load(voice_path)
    losses = train_sampler_alone(voice, read_manifest(manifest), 2000, 1e-3)
    assert sum(losses[-100:]) < 0.7 * sum(losses[:100])
    assert_exclamations_draw_nearer_the_excited_row(voice, manifest)


def test_condition_separation_reads_kinds_that_differ_and_not_kinds_that_do_not():
    generator = torch.Generator().manual_seed(0)
    noise = {kind: torch.randn(30, 4, generator=generator) * 0.1 for kind in ("exclamation", "question", "statement")}
    apart = {kind: values + 3.0 * torch.eye(4)[index] for index, (kind, values) in enumerate(noise.items())}
    separated = condition_separation({kind: values[:20] for kind, values in apart.items()}, {kind: values[20:] for kind, values in apart.items()})
    assert separated["held_out_accuracy"] == 1.0 and separated["centroid_distances"]["exclamation-question"] == pytest.approx(4.24, abs=0.1)
    mixed = condition_separation({kind: values[:20] for kind, values in noise.items()}, {kind: values[20:] for kind, values in noise.items()})
    assert mixed["held_out_accuracy"] < 0.6 and mixed["within_kind_distance"] > max(mixed["centroid_distances"].values())
