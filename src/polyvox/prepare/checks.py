"""Checks on finished clips; each problem becomes a reason with a detail the user can act on.

Some reasons always drop the clip (training cannot use it at all); the others are flags that the
``--flagged`` policy drops or keeps."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from polyvox.config import TrainingConfig
from polyvox.data.data_report import DURATION_MISMATCH, UNREADABLE_TEXT
from polyvox.data.text_screen import phoneme_rate_problem
from polyvox.prepare.duplicates import find_duplicates
from polyvox.prepare.settings import PrepareSettings
from polyvox.prepare.source_processing import ClipRecord
from polyvox.text import TextError, TextFrontend
from polyvox.text.frontend import SILENT_TOKENS
from polyvox.text.rules import TextRules

NO_TRANSCRIPT = "no transcript"
BELOW_MODEL_MINIMUM = "shorter than the model minimum"
LENGTH_OUT_OF_RANGE = "length outside the clip range"
UNKNOWN_SYMBOLS = "phonemes unknown to the voice"
RATE_OUTLIER = "speaking rate is an outlier"
CLIPPING = "clipping"
LOW_SNR = "low signal-to-noise ratio"
DUPLICATE = "duplicate audio"
ALWAYS_DROPPED = frozenset({NO_TRANSCRIPT, BELOW_MODEL_MINIMUM})
# MAD to standard deviation for normally distributed rates.
_MAD_SCALE = 1.4826


@dataclass
class ClipVerdict:
    clip: ClipRecord
    phonemes: int | None = None
    problems: list[tuple[str, str]] = field(default_factory=list)

    @property
    def rate(self) -> float | None:
        """Spoken phonemes per second, when the text could be phonemized."""
        return self.phonemes / self.clip.duration if self.phonemes is not None and self.clip.duration > 0 else None

    def must_drop(self) -> bool:
        return any(reason in ALWAYS_DROPPED for reason, _ in self.problems)


def check_clips(
    clips: Sequence[ClipRecord],
    frontend: TextFrontend,
    settings: PrepareSettings,
    training: TrainingConfig,
    voice_rules: TextRules | None,
    voice_languages: Sequence[str] = (),
) -> list[ClipVerdict]:
    """One verdict per clip, in order, for clips held in memory (``stored_checks`` runs the same checks on a
    run's clip store). The voice's symbol table (``voice_rules``, read in its input scheme) is checked for
    clips in ``voice_languages``."""
    verdicts = [check_clip(clip, frontend, settings, training, voice_rules if clip.language in voice_languages else None) for clip in clips]
    groups: dict[tuple[str, str], list[ClipVerdict]] = defaultdict(list)
    for verdict in verdicts:
        if verdict.rate is not None:
            groups[(verdict.clip.language, verdict.clip.speaker)].append(verdict)
    for (language, speaker), members in groups.items():
        rates = np.array([member.rate for member in members], dtype=np.float64)
        for index, detail in rate_outliers(rates, language, speaker, settings):
            members[index].problems.append((RATE_OUTLIER, detail))
    for copy, original in find_duplicates(clips, settings.checks.duplicate_correlation).items():
        verdicts[copy].problems.append((DUPLICATE, duplicate_detail(clips[original].audio)))
    return verdicts


def check_clip(
    clip: ClipRecord, frontend: TextFrontend, settings: PrepareSettings, training: TrainingConfig, rules: TextRules | None
) -> ClipVerdict:
    """The checks of one clip on its own (all but speaking-rate outliers and duplicates, which compare clips)."""
    verdict = ClipVerdict(clip)
    _check_audio(verdict, settings)
    _check_text(verdict, frontend, training, rules)
    return verdict


def duplicate_detail(original_audio: str) -> str:
    return f"same audio as {original_audio}"


def _check_audio(verdict: ClipVerdict, settings: PrepareSettings) -> None:
    clip, checks = verdict.clip, settings.checks
    if clip.duration < settings.model_minimum_s:
        verdict.problems.append((BELOW_MODEL_MINIMUM, f"{clip.duration:.3f} s < {settings.model_minimum_s:.3f} s"))
    elif not settings.min_clip_s <= clip.duration <= settings.audio.max_clip_s:
        verdict.problems.append(
            (LENGTH_OUT_OF_RANGE, f"{clip.duration:.2f} s outside [{settings.min_clip_s:g}, {settings.audio.max_clip_s:g}] s")
        )
    if clip.clipped_fraction > checks.max_clipped_fraction:
        verdict.problems.append((CLIPPING, f"{clip.clipped_fraction:.2%} of the original samples at full scale"))
    if clip.snr_db < checks.min_snr_db:
        verdict.problems.append((LOW_SNR, f"{clip.snr_db:.1f} dB < {checks.min_snr_db:g} dB; try --denoise"))


def _check_text(verdict: ClipVerdict, frontend: TextFrontend, training: TrainingConfig, rules: TextRules | None) -> None:
    clip = verdict.clip
    if not clip.text:
        verdict.problems.append((NO_TRANSCRIPT, "give a transcript or a Whisper model folder (--whisper-model)"))
        return
    try:
        tokens = frontend.phonemize(clip.text, clip.language)
    except TextError as error:
        verdict.problems.append((UNREADABLE_TEXT, f"{clip.text!r}: {error}"))
        return
    verdict.phonemes = sum(token.symbol not in SILENT_TOKENS for token in tokens)
    if rules is not None:
        unknown = rules.unknown_sounds(rules.in_scheme(tokens))
        if unknown:
            verdict.problems.append((UNKNOWN_SYMBOLS, f"{clip.text!r} needs {unknown}, which the voice's symbol table lacks"))
    problem = phoneme_rate_problem(tokens, clip.duration, training)
    if problem is not None:
        verdict.problems.append((DURATION_MISMATCH, problem))


def rate_outliers(rates: np.ndarray, language: str, speaker: str, settings: PrepareSettings) -> list[tuple[int, str]]:
    """``(index, detail)`` of each outlier among one speaker's speaking ``rates`` in one language."""
    if rates.size < settings.checks.rate_min_group:
        return []
    median = float(np.median(rates))
    spread = _MAD_SCALE * float(np.median(np.abs(rates - median)))
    if spread <= 1e-9:
        return []
    found = []
    for index, rate in enumerate(rates):
        score = (rate - median) / spread
        if abs(score) > settings.checks.rate_outlier_z:
            found.append(
                (
                    index,
                    f"{rate:.1f} phonemes/s against a median of {median:.1f} for {speaker} ({language}), "
                    f"{score:+.1f} robust z; check that the transcript matches the audio",
                )
            )
    return found
