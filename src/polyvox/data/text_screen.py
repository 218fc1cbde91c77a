"""Transcripts that cannot be trained on: text the front end cannot phonemize, and clips whose
duration is far from what their text predicts (phonemes per second outside a plausible range)."""

from __future__ import annotations

from polyvox.config import TrainingConfig
from polyvox.data.data_report import UNREADABLE_TEXT, SkippedClip
from polyvox.data.manifest import Utterance
from polyvox.text import TextError, Token
from polyvox.text.frontend import SILENT_TOKENS
from polyvox.text.rules import TextRules


def text_skip(utterance: Utterance, error: TextError) -> SkippedClip:
    return SkippedClip(utterance.audio, UNREADABLE_TEXT, f"{utterance.text!r}: {error}")


def screen_text(utterances: list[Utterance], rules: TextRules) -> tuple[list[Utterance], list[SkippedClip]]:
    """The clips whose text phonemizes to something speakable, and the others with the front end's reason."""
    usable: list[Utterance] = []
    skipped: list[SkippedClip] = []
    for utterance in utterances:
        try:
            rules.utterance_tokens(utterance)
        except TextError as error:
            skipped.append(text_skip(utterance, error))
            continue
        usable.append(utterance)
    return usable, skipped


def phoneme_rate_problem(tokens: list[Token], seconds: float, training: TrainingConfig) -> str | None:
    """Why the clip's duration does not fit its text, or None when it is plausible (or too short to judge)."""
    if seconds < training.phoneme_rate_min_clip_s:
        return None
    spoken = sum(1 for token in tokens if token.symbol not in SILENT_TOKENS)
    rate = spoken / seconds
    if training.min_phonemes_per_second <= rate <= training.max_phonemes_per_second:
        return None
    return (
        f"{spoken} phonemes in {seconds:.2f} s is {rate:.1f} per second, outside "
        f"[training.min_phonemes_per_second={training.min_phonemes_per_second:g}, "
        f"training.max_phonemes_per_second={training.max_phonemes_per_second:g}]; check that the transcript matches the audio"
    )
