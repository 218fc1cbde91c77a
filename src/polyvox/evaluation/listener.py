"""The listener: a speech recognizer's character (and word) error rate and DNSMOS for each clip.

Each clip, a system's or the recording itself, is resampled to 16 kHz, transcribed in its
language and compared with the sentence it should say (both normalised by ``transcript_normalize``),
and scored by DNSMOS. A recording's figures are those of the data the voice learned from.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from polyvox.evaluation.error_rate import EditCounts, edit_counts
from polyvox.evaluation.transcript_normalize import normalize_transcript
from polyvox.renamed import forward_renamed

if TYPE_CHECKING:
    from polyvox.evaluation.asr import Transcriber
    from polyvox.evaluation.dnsmos import Dnsmos

# The system name under which the recordings themselves are listened to (reports before #22 said "reference").
RECORDINGS_SYSTEM = "recordings"
LISTENER_RATE = 16000

__getattr__ = forward_renamed(__name__, {"REFERENCE_SYSTEM": "RECORDINGS_SYSTEM"})


@dataclass(frozen=True)
class Hearing:
    """What the listener made of one clip. Counts are None without a recognizer; DNSMOS NaN without DNSMOS."""

    transcript: str | None
    heard: str | None  # the transcript normalised
    expected: str  # the sentence normalised
    characters: EditCounts | None  # units: characters, pinyin syllables (zh) or kana (ja)
    words: EditCounts | None  # None also for languages written without spaces
    dnsmos_sig: float = math.nan
    dnsmos_bak: float = math.nan
    dnsmos_ovrl: float = math.nan


@dataclass(frozen=True)
class HeardClip:
    """One clip listened to: a system's (or the recording's, system ``recordings``) for one utterance."""

    utterance_id: str
    system: str
    language: str
    speaker: str
    text: str
    hearing: Hearing


def refused(text: str, language: str) -> Hearing:
    """A sentence a system would not speak: every unit of it counts as deleted (error rate 1.0)."""
    expected = normalize_transcript(text, language)
    words = None if expected.words is None else edit_counts(expected.words, ())
    return Hearing(None, None, expected.text, edit_counts(expected.units, ()), words)


def score_transcript(text: str, transcript: str, language: str) -> Hearing:
    """The error counts of ``transcript`` against ``text``, both normalised for ``language``."""
    expected = normalize_transcript(text, language)
    heard = normalize_transcript(transcript, language)
    words = None if expected.words is None or heard.words is None else edit_counts(expected.words, heard.words)
    return Hearing(transcript, heard.text, expected.text, edit_counts(expected.units, heard.units), words)


class Listener:
    """A recognizer (``--asr``) and/or DNSMOS, applied to clips at any sample rate."""

    def __init__(self, transcriber: Transcriber | None = None, dnsmos: Dnsmos | None = None) -> None:
        self.transcriber = transcriber
        self.dnsmos = dnsmos

    @classmethod
    def load(cls, asr: Path | None, dnsmos: bool, threads: int = 1) -> Listener:
        """The recognizer in folder ``asr`` (None: none) and DNSMOS if ``dnsmos``; nothing is downloaded."""
        from polyvox.evaluation.asr import load_transcriber
        from polyvox.evaluation.dnsmos import Dnsmos

        return cls(load_transcriber(asr, threads) if asr is not None else None, Dnsmos(threads) if dnsmos else None)

    def describe(self) -> dict[str, str]:
        described = {"asr": self.transcriber.description} if self.transcriber is not None else {}
        if self.dnsmos is not None:
            described["dnsmos"] = "DNSMOS P.835 (speechmos's sig_bak_ovr.onnx)"
        return described

    def check_languages(self, languages: set[str]) -> None:
        """Raise ``EvaluationError`` before any work if the recognizer cannot transcribe one of ``languages``."""
        if self.transcriber is not None:
            for language in sorted(languages):
                self.transcriber.check_language(language)

    def __call__(self, samples: np.ndarray, sample_rate: int, text: str, language: str) -> Hearing:
        from polyvox.audio.io import resample

        audio = resample(samples, sample_rate, LISTENER_RATE)
        if self.transcriber is not None:
            hearing = score_transcript(text, self.transcriber.transcribe(audio, language), language)
        else:
            hearing = Hearing(None, None, normalize_transcript(text, language).text, None, None)
        if self.dnsmos is None:
            return hearing
        scores = self.dnsmos(audio)
        return Hearing(
            hearing.transcript, hearing.heard, hearing.expected, hearing.characters, hearing.words,
            scores.sig, scores.bak, scores.ovrl,
        )
