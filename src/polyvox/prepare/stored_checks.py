"""The checks of ``checks`` run on a run's clip store in passes, each holding at most one speaker's speaking
rates (8 bytes a clip) or the clips of nearly one length, never the corpus: verdicts go back to the store."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from polyvox.config import TrainingConfig
from polyvox.prepare.checks import DUPLICATE, RATE_OUTLIER, check_clip, duplicate_detail, rate_outliers
from polyvox.prepare.clip_store import ClipStore
from polyvox.prepare.duplicates import duplicates_in_order
from polyvox.prepare.settings import PrepareSettings
from polyvox.text import TextFrontend
from polyvox.text.rules import TextRules


def check_stored_clips(
    store: ClipStore,
    frontend: TextFrontend,
    settings: PrepareSettings,
    training: TrainingConfig,
    voice_rules: TextRules | None,
    voice_languages: Sequence[str] = (),
) -> None:
    """Every clip's verdict into ``store``, as ``check_clips`` gives it."""
    for key, clip in store.clips():
        verdict = check_clip(clip, frontend, settings, training, voice_rules if clip.language in voice_languages else None)
        store.add_verdict(key, clip, verdict.phonemes, verdict.rate, verdict.problems)
    for language, speaker in store.rate_groups():
        rates = np.fromiter((rate for _, rate in store.rates(language, speaker)), dtype=np.float64)
        outliers = dict(rate_outliers(rates, language, speaker, settings))
        if outliers:
            for index, (key, _) in enumerate(store.rates(language, speaker)):
                if index in outliers:
                    store.add_problem(key, RATE_OUTLIER, outliers[index])
    duplicates = duplicates_in_order(store.by_duration(), store.envelope, settings.checks.duplicate_correlation)
    for copy, original in sorted(duplicates.items()):
        store.add_problem(copy, DUPLICATE, duplicate_detail(store.audio(original)))
    store.connection.commit()
