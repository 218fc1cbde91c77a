"""Splitting the transcript of a long recording to match its slices.

The transcript's sentences (its lines, or its sentences when it is one paragraph) are matched to
the speech pieces in order: each clip is a run of consecutive pieces paired with a run of
consecutive sentences, chosen by dynamic programming so that every clip's duration fits the
duration its sentences predict from their phoneme counts at the recording's own speaking rate.
"""

from __future__ import annotations

import math
import re

import numpy as np

from polyvox.prepare.slicing import PieceRange
from polyvox.prepare.voice_activity import Span
from polyvox.text import TextError, TextFrontend
from polyvox.text.frontend import SILENT_TOKENS

# Most pieces (pauses inside a sentence) and sentences (spoken without a pause between) in one clip.
MAX_GROUP = 6
# Cost of joining sentences into one clip, so that an exact 1:1 match wins a near tie.
SENTENCE_JOIN_COST = 0.1
# Added to both durations before comparing them: voice-activity edges are off by a few frames
# whatever the length, which would otherwise make a one-word sentence look badly mismatched.
DURATION_SLACK_S = 0.25
# Cost per second of pause inside a clip: sentences end at long pauses more often than they pause.
PAUSE_JOIN_COST_PER_S = 0.2
# Cost of a clip above the maximum length: allowed only when nothing else fits.
OVERLONG_COST = 10.0
# The search stays within this many sentences of where the durations predict (long recordings).
MIN_BAND = 30

SentenceRange = tuple[int, int]


class TranscriptMismatch(ValueError):
    """The transcript's sentences cannot be matched to the recording's pieces."""


def transcript_sentences(text: str, language: str, frontend: TextFrontend) -> list[str]:
    """One sentence per non-blank line; a one-paragraph transcript is split at sentence ends."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) > 1:
        return lines
    try:
        return frontend.split_sentences(text, language)
    except TextError:
        return lines


def phoneme_weight(sentence: str, language: str, frontend: TextFrontend) -> float:
    """Spoken phonemes in ``sentence``; letters when it cannot be phonemized (it is flagged later)."""
    try:
        tokens = frontend.phonemize(sentence, language)
        return float(max(1, sum(token.symbol not in SILENT_TOKENS for token in tokens)))
    except TextError:
        return float(max(1, len(re.findall(r"\w", sentence))))


def align_sentences(pieces: list[Span], weights: list[float], max_s: float) -> list[tuple[PieceRange, SentenceRange]]:
    """Consecutive groups of pieces paired with consecutive groups of sentences, covering both."""
    n_pieces, n_sentences = len(pieces), len(weights)
    if n_pieces == 0 or n_sentences == 0:
        raise TranscriptMismatch("no speech or no sentences to match")
    seconds_per_weight = sum(p.duration_s for p in pieces) / sum(weights)
    cumulative = np.concatenate([[0.0], np.cumsum(weights)]) * seconds_per_weight
    speech_before = np.concatenate([[0.0], np.cumsum([p.duration_s for p in pieces])])
    band = max(MIN_BAND, n_sentences // 10)
    cost = np.full((n_pieces + 1, n_sentences + 1), math.inf)
    choice: dict[tuple[int, int], tuple[int, int]] = {}
    cost[0, 0] = 0.0
    for end_piece in range(1, n_pieces + 1):
        expected = int(np.searchsorted(cumulative, speech_before[end_piece]))
        for end_sentence in range(max(1, expected - band), min(n_sentences, expected + band) + 1):
            for pieces_in in range(1, min(MAX_GROUP, end_piece) + 1):
                span = pieces[end_piece - 1].end_s - pieces[end_piece - pieces_in].start_s
                for sentences_in in range(1, min(MAX_GROUP, end_sentence) + 1):
                    before = cost[end_piece - pieces_in, end_sentence - sentences_in]
                    if before == math.inf:
                        continue
                    predicted = cumulative[end_sentence] - cumulative[end_sentence - sentences_in]
                    pauses = span - (speech_before[end_piece] - speech_before[end_piece - pieces_in])
                    total = before + math.log((span + DURATION_SLACK_S) / (predicted + DURATION_SLACK_S)) ** 2
                    total += SENTENCE_JOIN_COST * (sentences_in - 1) + PAUSE_JOIN_COST_PER_S * pauses
                    total += OVERLONG_COST if span > max_s else 0.0
                    if total < cost[end_piece, end_sentence]:
                        cost[end_piece, end_sentence] = total
                        choice[(end_piece, end_sentence)] = (pieces_in, sentences_in)
    if cost[n_pieces, n_sentences] == math.inf:
        raise TranscriptMismatch(
            f"{n_sentences} sentence(s) cannot be matched to {n_pieces} speech piece(s) in order"
        )
    groups: list[tuple[PieceRange, SentenceRange]] = []
    end_piece, end_sentence = n_pieces, n_sentences
    while end_piece > 0:
        pieces_in, sentences_in = choice[(end_piece, end_sentence)]
        groups.append(((end_piece - pieces_in, end_piece), (end_sentence - sentences_in, end_sentence)))
        end_piece, end_sentence = end_piece - pieces_in, end_sentence - sentences_in
    return groups[::-1]
