"""The listener's normalisation (script choices are not errors) and its error-rate arithmetic, on golden cases."""

from __future__ import annotations

import pytest

from polyvox.evaluation.error_rate import EditCounts, edit_counts, pooled
from polyvox.evaluation.listener import refused, score_transcript
from polyvox.evaluation.transcript_normalize import normalize_transcript


@pytest.mark.parametrize(
    ("language", "text", "transcript"),
    [
        ("zh", "十二", "shi2 er4"),
        ("zh", "我有12本书。", "我有十二本书"),
        ("zh", "你好，世界！", "你好世界"),
        ("zh", "三千元", "3,000元"),
        ("ja", "今日は寒い", "今日は寒い。"),
        ("ja", "東京へ行きます", "とうきょうへいきます"),
        ("ja", "猫", "ねこ"),
        ("en", "I have 12 apples.", "i have twelve apples"),
        ("en", "Twenty-one", "21"),
        ("en", "Hello, World!", "hello world"),
        ("en", "It's   fine", "its fine"),
        ("de", "Ich habe 12 Äpfel.", "ich habe zwölf äpfel"),
        ("fr", "Il a 12 ans !", "il a douze ans"),
        ("es", "¿Tienes 3 gatos?", "tienes tres gatos"),
        # Arabic: vowel marks, tatweel, hamza seats, final ya and ta marbuta are spelling, not speech.
        ("ar", "الكتاب على الطاولة.", "الْكِتَابُ عَلَى الطَّاوِلَةِ"),
        ("ar", "أحمد في المدرسة", "احمد فى المدرسه"),
        ("ar", "جميـــل", "جميل"),
        ("ar", "عندي 3 كتب", "عِنْدِي ثَلَاثَة كُتُب"),
    ],
)
def test_script_and_spelling_choices_are_not_errors(language: str, text: str, transcript: str) -> None:
    hearing = score_transcript(text, transcript, language)
    assert hearing.characters is not None and hearing.characters.errors == 0, (hearing.expected, hearing.heard)
    assert hearing.words is None or hearing.words.errors == 0


def test_units_per_language() -> None:
    assert normalize_transcript("十二", "zh").units == ("shi2", "er4")
    assert normalize_transcript("猫です", "ja").units == ("ネ", "コ", "デ", "ス")
    english = normalize_transcript("Hi, Bob.", "en")
    assert english.units == tuple("hi bob") and english.words == ("hi", "bob")
    assert normalize_transcript("十二", "zh").words is None and normalize_transcript("猫", "ja").words is None


def test_wrong_words_are_counted() -> None:
    hearing = score_transcript("the cat sat", "the bat sat down", "en")
    assert hearing.words == EditCounts(substitutions=1, deletions=0, insertions=1, reference_length=3)
    # Characters of "the cat sat" (11) -> "the bat sat down": c->b, then " down" inserted.
    assert hearing.characters == EditCounts(1, 0, 5, 11)
    assert score_transcript("十二", "shi2 er3", "zh").characters == EditCounts(1, 0, 0, 2)
    assert score_transcript("الكتاب", "الكتب", "ar").characters == EditCounts(0, 1, 0, 6)  # a letter, not a mark


def test_edit_counts_and_pooling() -> None:
    assert edit_counts(list("kitten"), list("sitting")) == EditCounts(2, 0, 1, 6)
    assert edit_counts(list("abc"), []) == EditCounts(0, 3, 0, 3)
    assert edit_counts([], list("ab")) == EditCounts(0, 0, 2, 0)
    assert edit_counts([], []).rate == 0.0 and edit_counts([], ["a"]).rate == 1.0
    total = pooled([EditCounts(1, 0, 0, 4), EditCounts(0, 2, 1, 6)])
    assert total == EditCounts(1, 2, 1, 10) and total.rate == pytest.approx(0.4)
    assert edit_counts(list("abcd"), list("xbcdy")).rate == pytest.approx(0.5)


def test_a_transcript_that_runs_on_counts_as_one_wrong_clip_when_capped() -> None:
    # Whisper repeating itself on a clip it cannot read: "zwei zwei zwei ..." for a four-word sentence.
    runaway = edit_counts(list("die blaue tür"), list("die blaue der zwei" + " zwei" * 20))
    assert runaway.rate > 5 and runaway.capped().rate == 1.0
    assert runaway.capped().substitutions == runaway.substitutions and runaway.capped().deletions == runaway.deletions
    close = edit_counts(list("kitten"), list("sitting"))
    assert close.capped() == close  # within its length: unchanged
    assert pooled([runaway.capped(), EditCounts(0, 0, 0, 13)]).rate == pytest.approx(0.5)  # one bad clip of two
    assert edit_counts([], list("ab")).capped().rate == 1.0


def test_a_refused_sentence_counts_every_unit_as_missed() -> None:
    hearing = refused("Two words.", "en")
    assert hearing.characters is not None and hearing.characters.rate == 1.0
    assert hearing.words == EditCounts(0, 2, 0, 2)
    assert refused("十二", "zh").characters == EditCounts(0, 2, 0, 2)
