"""Per-utterance scores -> per-language and per-speaker summaries (mean, median, 95 % interval)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from polyvox.evaluation.scores import METRICS, UtteranceScores


@dataclass(frozen=True)
class UtteranceResult:
    """One synthesized clip of one system, scored against its recording."""

    utterance_id: str
    system: str
    language: str
    speaker: str
    text: str
    scores: UtteranceScores


@dataclass(frozen=True)
class MetricSummary:
    """``count`` finite values (a metric can be undefined for a clip, e.g. F0 RMSE with no voiced pair)."""

    count: int
    mean: float
    median: float
    # 95 % confidence interval of the mean (Student's t); NaN with fewer than two values.
    interval_low: float
    interval_high: float

    def to_dict(self) -> dict[str, float | int | None]:
        def finite(value: float) -> float | None:
            return None if math.isnan(value) else value

        return {
            "count": self.count,
            "mean": finite(self.mean),
            "median": finite(self.median),
            "ci95_low": finite(self.interval_low),
            "ci95_high": finite(self.interval_high),
        }


def summarize(values: Iterable[float]) -> MetricSummary:
    """Summary of the finite ``values`` (NaNs, i.e. undefined scores, are left out)."""
    from scipy import stats

    array = np.asarray([value for value in values if math.isfinite(value)], dtype=np.float64)
    if array.size == 0:
        return MetricSummary(0, math.nan, math.nan, math.nan, math.nan)
    mean = float(array.mean())
    if array.size < 2:
        return MetricSummary(1, mean, mean, math.nan, math.nan)
    spread = float(stats.sem(array))
    if spread == 0.0:
        low, high = mean, mean
    else:
        low, high = (float(bound) for bound in stats.t.interval(0.95, array.size - 1, loc=mean, scale=spread))
    return MetricSummary(int(array.size), mean, float(np.median(array)), low, high)


Summaries = dict[str, dict[str, dict[str, MetricSummary]]]  # system -> group -> metric -> summary


def summarize_by(results: Iterable[UtteranceResult], group_of: Callable[[UtteranceResult], str]) -> Summaries:
    """Every metric summarised per system and per group (``group_of`` gives a result's group, e.g. its language)."""
    grouped: dict[str, dict[str, list[UtteranceScores]]] = {}
    for result in results:
        grouped.setdefault(result.system, {}).setdefault(group_of(result), []).append(result.scores)
    return {
        system: {
            group: {metric: summarize(getattr(scores, metric) for scores in members) for metric in METRICS}
            for group, members in groups.items()
        }
        for system, groups in grouped.items()
    }
