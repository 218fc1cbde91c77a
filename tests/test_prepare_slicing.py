"""Slicing and transcript matching on hand-made speech maps (no audio needed)."""

from __future__ import annotations

import numpy as np
import pytest

from polyvox.prepare.slicing import clip_spans, merge_short, split_long
from polyvox.prepare.transcript_split import TranscriptMismatch, align_sentences
from polyvox.prepare.voice_activity import ENERGY_FRAMES_PER_FRAME, FRAME_S, Span, VoiceActivity, speech_regions


def _activity(pattern: str) -> VoiceActivity:
    """One character per frame: '#' speech, '.' pause; speech frames are louder."""
    speech = np.array([char == "#" for char in pattern])
    energy = np.repeat(np.where(speech, 1.0, 1e-4), ENERGY_FRAMES_PER_FRAME)
    return VoiceActivity(speech, energy, len(pattern) * FRAME_S)


def test_regions_break_only_at_pauses_long_enough() -> None:
    # 20 frames of speech, a 5-frame gap (0.15 s), 20 frames, a 20-frame pause (0.6 s), 20 frames, then a 1-frame click.
    activity = _activity("#" * 20 + "." * 5 + "#" * 20 + "." * 20 + "#" * 20 + "." * 20 + "#" + "." * 20)
    regions = speech_regions(activity, min_pause_s=0.4, min_speech_s=0.15)
    assert regions == [Span(0.0, 45 * FRAME_S), Span(65 * FRAME_S, 85 * FRAME_S)]


def test_a_long_region_is_cut_at_its_longest_inner_pause_else_at_its_quietest_frame() -> None:
    activity = _activity("#" * 100 + ".." + "#" * 50 + "." * 6 + "#" * 100)
    region = [Span(0.0, activity.duration_s)]
    pieces = split_long(region, activity, max_s=5.0)
    assert pieces.forced_cuts == 0
    assert pieces.spans == [Span(0.0, 152 * FRAME_S), Span(158 * FRAME_S, activity.duration_s)]

    continuous = _activity("#" * 400)
    continuous.energy[230 * ENERGY_FRAMES_PER_FRAME : 231 * ENERGY_FRAMES_PER_FRAME] = 0.0
    cut = split_long([Span(0.0, continuous.duration_s)], continuous, max_s=10.0)
    assert cut.forced_cuts == 1
    assert [round(span.end_s / FRAME_S) for span in cut.spans[:-1]] == [230]


def test_short_pieces_join_the_neighbour_across_the_shorter_pause() -> None:
    pieces = [Span(0.0, 2.0), Span(2.3, 2.5), Span(3.5, 6.0), Span(9.0, 9.2)]
    groups = merge_short(pieces, min_s=0.5, max_s=10.0)
    # The 0.2 s piece joins the first (0.3 s away, not 1 s); the last one has only one neighbour.
    assert groups == [(0, 2), (2, 4)]
    assert merge_short(pieces, min_s=0.5, max_s=2.6) == [(0, 2), (2, 3), (3, 4)]


def test_clip_edges_keep_silence_but_never_cross_the_middle_of_a_pause() -> None:
    pieces = [Span(1.0, 2.0), Span(2.1, 3.0)]
    assert clip_spans(pieces, [(0, 1), (1, 2)], 4.0, keep_s=0.1, trim=True) == [Span(0.9, 2.05), Span(2.05, 3.1)]
    assert clip_spans(pieces, [(0, 1), (1, 2)], 4.0, keep_s=0.1, trim=False) == [Span(0.0, 2.05), Span(2.05, 4.0)]


def test_sentences_follow_their_predicted_lengths() -> None:
    # Sentence phoneme counts 10, 30, 20 at 0.1 s per phoneme; the long sentence has a pause inside
    # (two pieces) and the last two pieces are one sentence each.
    weights = [10.0, 30.0, 20.0, 10.0]
    pieces = [Span(0.0, 1.0), Span(2.0, 3.4), Span(3.6, 5.2), Span(6.0, 8.0), Span(9.0, 10.0)]
    matched = align_sentences(pieces, weights, max_s=15.0)
    assert matched == [((0, 1), (0, 1)), ((1, 3), (1, 2)), ((3, 4), (2, 3)), ((4, 5), (3, 4))]


def test_sentences_spoken_without_a_pause_share_a_clip() -> None:
    weights = [10.0, 10.0, 40.0]
    pieces = [Span(0.0, 2.0), Span(3.0, 7.0)]
    assert align_sentences(pieces, weights, max_s=15.0) == [((0, 1), (0, 2)), ((1, 2), (2, 3))]


def test_a_one_word_sentence_between_pauses_keeps_its_own_clip() -> None:
    # "Wait!" (3 phonemes, 0.24 s at this rate) reads 0.42 s long: voice-activity edges add a few frames.
    weights = [30.0, 3.0, 32.0]
    pieces = [Span(0.0, 2.5), Span(3.3, 3.72), Span(4.7, 7.1)]
    assert align_sentences(pieces, weights, max_s=15.0) == [((0, 1), (0, 1)), ((1, 2), (1, 2)), ((2, 3), (2, 3))]


def test_nothing_to_match_is_an_error() -> None:
    with pytest.raises(TranscriptMismatch):
        align_sentences([], [1.0], max_s=15.0)
