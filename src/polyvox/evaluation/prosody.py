"""Prosody figures of a clip: F0 mean and range, voicing, speaking rate and energy.

What a style label is meant to move (``data/corpus/styles.py``), measured alike on a generated corpus's
clips and on a voice's speech so that the two compare. F0 is evaluation's tracker (WORLD DIO +
StoneMask, ``score_check.track_f0``) on the clip with its silent ends cut (as ``SpeechAnalyzer`` cuts
them), so leading and trailing pauses count neither in the rate nor in the energy.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, Any

import numpy as np

from polyvox.data.corpus.silence import trim_silence
from polyvox.data.manifest import Utterance
from polyvox.evaluation.analysis import AnalysisSettings
from polyvox.evaluation.score_check import track_f0

if TYPE_CHECKING:
    from polyvox.inference.voice import Voice

# The pitch range is the spread between these percentiles of the voiced F0 (robust to octave slips).
RANGE_PERCENTILES = (10.0, 90.0)
# Fewer voiced frames than this, or a smaller voiced fraction, give no F0 figures (NaN): in a whisper or a clip of
# noise the tracker's few voiced frames are stray, not a pitch (espeak's whisper: 0-4 % of frames).
MIN_VOICED_FRAMES = 10
MIN_VOICED_FRACTION = 0.05
_SILENCE_DB = -40.0


@dataclass(frozen=True)
class ProsodyFigures:
    f0_mean_hz: float  # mean over voiced frames; NaN with too few (MIN_VOICED_FRAMES, MIN_VOICED_FRACTION)
    f0_range_semitones: float  # RANGE_PERCENTILES spread of voiced F0; NaN as above
    voiced_fraction: float  # voiced frames / frames
    duration_s: float  # silent ends cut
    phonemes_per_second: float  # NaN without a phoneme count
    rms_db: float  # energy over the cut clip, dB re full scale

    def to_dict(self) -> dict[str, float | None]:
        """JSON-ready: NaN becomes None, the rest rounded to what the figures mean."""
        return {key: None if math.isnan(value) else round(value, 3) for key, value in asdict(self).items()}


def prosody_figures(samples: np.ndarray, sample_rate: int, phonemes: int | None = None) -> ProsodyFigures:
    """Figures of mono ``samples``; ``phonemes`` (how many the clip speaks) gives the rate."""
    trimmed, _ = trim_silence(np.asarray(samples, dtype=np.float32).reshape(-1), sample_rate, keep_seconds=0.0,
                              threshold_db=_SILENCE_DB)
    duration = trimmed.size / sample_rate
    _, f0 = track_f0(trimmed, sample_rate, AnalysisSettings())
    voiced = f0[f0 > 0]
    enough = voiced.size >= max(MIN_VOICED_FRAMES, MIN_VOICED_FRACTION * f0.size)
    low, high = np.percentile(voiced, RANGE_PERCENTILES) if enough else (math.nan, math.nan)
    energy = float(np.mean(np.square(trimmed, dtype=np.float64))) if trimmed.size else 0.0
    return ProsodyFigures(
        f0_mean_hz=float(voiced.mean()) if enough else math.nan,
        f0_range_semitones=float(12.0 * np.log2(high / low)) if enough else math.nan,
        voiced_fraction=float(voiced.size / max(f0.size, 1)),
        duration_s=duration,
        phonemes_per_second=phonemes / duration if phonemes and duration > 0 else math.nan,
        rms_db=10.0 * math.log10(max(energy, 1e-12)),
    )


@dataclass(frozen=True)
class ProsodyShift:
    """How figures differ from a reference's (a style against the neutral one, say)."""

    f0_semitones: float  # F0 mean above the reference's
    range_semitones: float  # pitch range minus the reference's
    rate_ratio: float  # speaking rate over the reference's (> 1: faster)
    energy_db: float  # RMS energy minus the reference's
    voiced_fraction: float  # voiced fraction minus the reference's

    def to_dict(self) -> dict[str, float | None]:
        return {key: None if math.isnan(value) else round(value, 3) for key, value in asdict(self).items()}


def prosody_shift(figures: ProsodyFigures, reference: ProsodyFigures) -> ProsodyShift:
    """``figures`` against ``reference``. The rate compares phonemes per second where both have them, else
    durations (right for two renderings of the same text)."""
    if math.isnan(figures.phonemes_per_second) or math.isnan(reference.phonemes_per_second):
        rate_ratio = reference.duration_s / figures.duration_s
    else:
        rate_ratio = figures.phonemes_per_second / reference.phonemes_per_second
    return ProsodyShift(
        f0_semitones=semitones_between(figures.f0_mean_hz, reference.f0_mean_hz),
        range_semitones=figures.f0_range_semitones - reference.f0_range_semitones,
        rate_ratio=rate_ratio,
        energy_db=figures.rms_db - reference.rms_db,
        voiced_fraction=figures.voiced_fraction - reference.voiced_fraction,
    )


def manifest_figures(utterances: Iterable[Utterance], sample_rate: int) -> dict[tuple[str, str | None], ProsodyFigures]:
    """Mean figures of each (speaker, style) of a manifest's clips; the rate counts the clips' ``phonemes``."""
    from polyvox.audio.io import load_audio

    groups: dict[tuple[str, str | None], list[ProsodyFigures]] = {}
    for utterance in utterances:
        phonemes = spoken_phonemes(utterance.phonemes) if utterance.phonemes is not None else None
        figures = prosody_figures(load_audio(utterance.audio, sample_rate), sample_rate, phonemes)
        groups.setdefault((utterance.speaker, utterance.style), []).append(figures)
    return {key: mean_figures(group) for key, group in groups.items()}


def spoken_phonemes(tokens: Iterable[str]) -> int:
    """How many of a front end's tokens are sounds (word breaks and punctuation are not)."""
    return sum(any(character.isalpha() for character in token) for token in tokens)


def mean_figures(figures: Sequence[ProsodyFigures]) -> ProsodyFigures:
    """Each figure's mean over ``figures``, NaNs left out (NaN where every one is NaN)."""
    means = {}
    for field in fields(ProsodyFigures):
        values = np.array([getattr(figure, field.name) for figure in figures], dtype=np.float64)
        finite = values[~np.isnan(values)]
        means[field.name] = float(finite.mean()) if finite.size else math.nan
    return ProsodyFigures(**means)


def semitones_between(high_hz: float, low_hz: float) -> float:
    """How many semitones ``high_hz`` lies above ``low_hz`` (NaN if either is NaN)."""
    return 12.0 * math.log2(high_hz / low_hz) if high_hz > 0 and low_hz > 0 else math.nan


def spoken_figures(voice: Voice, texts: Sequence[str], speakers: Sequence[str], seed: int = 0, **options: Any) -> ProsodyFigures:
    """Mean figures of ``voice`` speaking each text with each speaker, seeded (text i with ``seed + i``), under the
    same request ``options`` (``emotion=``, ``style_reference=``, ``style="sample"``, ...)."""
    figures = [
        prosody_figures(voice.synthesize(text, speaker=speaker, seed=seed + index, **options).samples, voice.sample_rate)
        for index, text in enumerate(texts)
        for speaker in speakers
    ]
    return mean_figures(figures)
