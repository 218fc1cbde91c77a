"""Sentence grammars, speakers, duration alignment and silence trimming of the corpus generator."""

from __future__ import annotations

import numpy as np
import pytest

from polyvox.data.corpus.alignment import align_token_durations, resample_boundaries
from polyvox.data.corpus.espeak_engine import PhonemeEvent
from polyvox.data.corpus.sentences import GRAMMAR_MODULES, SentenceGenerator, grammar_for
from polyvox.data.corpus.silence import trim_silence
from polyvox.data.corpus.speakers import speaker_from_name, speakers_for_language


@pytest.mark.parametrize("language", sorted(GRAMMAR_MODULES))
def test_grammars_give_many_varied_unique_sentences(language: str) -> None:
    sentences = SentenceGenerator(grammar_for(language), seed=3).sentences(500)
    assert len(set(sentences)) == 500
    # Many different openings and endings, not one template with a word swapped.
    assert len({sentence[:6] for sentence in sentences}) > 40
    assert len({sentence[-6:] for sentence in sentences}) > 40
    assert any(sentence.endswith(("?", "？", "؟")) for sentence in sentences)
    assert any(sentence.endswith(("!", "！")) for sentence in sentences)
    if language not in ("zh", "ja"):
        lengths = [len(sentence.split()) for sentence in sentences]
        assert min(lengths) <= 2 and 16 >= max(lengths) >= 8


def test_japanese_is_kana_only_and_arabic_is_marked_and_plain() -> None:
    japanese = SentenceGenerator(grammar_for("ja"), seed=0).sentences(300)
    kanji = [c for s in japanese for c in s if "\u4e00" <= c <= "\u9fff"]
    assert kanji == []
    from polyvox.data.corpus.grammars.arabic import PLAIN

    arabic = SentenceGenerator(grammar_for("ar"), seed=0).sentences(300)
    marked = [s for s in arabic if any("\u064b" <= c <= "\u0652" for c in s)]
    plain = [s for s in arabic if s not in marked]
    assert plain and set(plain) <= set(PLAIN)  # written as people write, for the sounds unmarked text has
    assert len(marked) > len(plain)


def test_sentences_are_deterministic_per_seed() -> None:
    first = SentenceGenerator(grammar_for("en"), seed=7).sentences(50)
    assert first == SentenceGenerator(grammar_for("en"), seed=7).sentences(50)
    assert first != SentenceGenerator(grammar_for("en"), seed=8).sentences(50)


def test_speakers_are_named_and_stable() -> None:
    speakers = speakers_for_language("en", 4)
    assert [s.name for s in speakers] == ["en_f3", "en_m1", "en_f1", "en_m3"]
    assert speaker_from_name("en_f3") == speakers[0]
    assert speakers[0].settings.voice_names[0] == "en-us+f3"
    assert speaker_from_name("fr_m3").settings.voice_names == ("fr+m3", "fr-fr+m3")
    assert len({s.settings for s in speakers_for_language("de", 30)}) == 30
    with pytest.raises(ValueError, match="speaker name"):
        speaker_from_name("xx_f3")


def test_alignment_gives_pauses_to_punctuation_and_sums_to_length() -> None:
    tokens = ["h", "ˈa", "ɪ", ",", " ", "j", "uː", "."]
    events = [
        PhonemeEvent("h", 10),
        PhonemeEvent("ˈaɪ", 100),  # one event covers two tokens
        PhonemeEvent("", 300),  # pause -> ","
        PhonemeEvent("j", 500),
        PhonemeEvent("(en)", 550),  # language switch: no time of its own
        PhonemeEvent("u", 600),  # phrase-final length mark dropped by espeak
        PhonemeEvent("", 800),  # trailing pause -> "."
    ]
    durations = align_token_durations(tokens, events, 1000)
    assert durations is not None
    assert durations.tolist() == [100, 100, 100, 200, 0, 100, 200, 200]
    assert durations.sum() == 1000


def test_alignment_refuses_different_phonemes() -> None:
    events = [PhonemeEvent("t", 0), PhonemeEvent("a", 50)]
    assert align_token_durations(["d", "a"], events, 100) is None
    assert align_token_durations(["t", "a", "n"], events, 100) is None


def test_resampled_and_trimmed_durations_still_sum_to_length() -> None:
    durations = np.array([100, 0, 250, 37, 613])
    moved = resample_boundaries(durations, 22050, 16000, round(1000 * 16000 / 22050))
    assert moved.sum() == round(1000 * 16000 / 22050) and (moved >= 0).all()
    samples = np.zeros(4000, dtype=np.float32)
    samples[1500:2500] = 0.5
    trimmed, kept = trim_silence(samples, 1000, np.array([1000, 1000, 1000, 1000]), keep_seconds=0.1)
    assert trimmed.size == 1200
    assert kept is not None and kept.tolist() == [0, 600, 600, 0]
