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
from typer.testing import CliRunner

from polyvox.cli import app
from polyvox.data.corpus import generate_corpus
from polyvox.data.corpus.errors import CorpusError
from polyvox.data.corpus.espeak_engine import EspeakEngine
from polyvox.data.corpus.plan import plan_corpus
from polyvox.data.corpus.sentence_kinds import SENTENCE_KIND_STYLES, sentence_kind
from polyvox.data.manifest import read_manifest

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
