"""Objective evaluation against recordings, with no pretrained network.

Metrics (one family per module): mel-cepstral distortion after DTW (``distortion``), F0 RMSE and
voiced/unvoiced error along the same path (``pitch``), duration ratio (``duration``). Clips are
analysed with WORLD (``analysis``, ``mel_cepstrum``) and aligned with exact DTW (``alignment``);
``run`` scores systems (``sources``, ``baselines``), ``aggregate`` summarises, ``report`` writes.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from polyvox.evaluation.analysis import AnalysisSettings, SpeechAnalyzer, SpeechFeatures
    from polyvox.evaluation.errors import EvaluationError
    from polyvox.evaluation.run import EvaluationResult, evaluate
    from polyvox.evaluation.scores import METRICS, UtteranceScores, score

# Loaded on first use, so that importing one light module of the package (error_rate, errors) does not
# load WORLD, the corpus generator and the scorers with it.
_HOMES = {
    "AnalysisSettings": "analysis", "SpeechAnalyzer": "analysis", "SpeechFeatures": "analysis",
    "EvaluationError": "errors", "EvaluationResult": "run", "evaluate": "run",
    "METRICS": "scores", "UtteranceScores": "scores", "score": "scores",
}

__all__ = sorted(_HOMES)


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)
