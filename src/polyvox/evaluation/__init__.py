"""Objective evaluation against recordings, with no pretrained network.

Metrics (one family per module): mel-cepstral distortion after DTW (``distortion``), F0 RMSE and
voiced/unvoiced error along the same path (``pitch``), duration ratio (``duration``). Clips are
analysed with WORLD (``analysis``, ``mel_cepstrum``) and aligned with exact DTW (``alignment``);
``run`` scores systems (``sources``, ``baselines``), ``aggregate`` summarises, ``report`` writes.
"""

from polyvox.evaluation.analysis import AnalysisSettings, SpeechAnalyzer, SpeechFeatures
from polyvox.evaluation.errors import EvaluationError
from polyvox.evaluation.run import EvaluationResult, evaluate
from polyvox.evaluation.scores import METRICS, UtteranceScores, score

__all__ = [
    "METRICS",
    "AnalysisSettings",
    "EvaluationError",
    "EvaluationResult",
    "SpeechAnalyzer",
    "SpeechFeatures",
    "UtteranceScores",
    "evaluate",
    "score",
]
