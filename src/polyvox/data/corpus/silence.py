"""Trimming leading and trailing silence while keeping token durations consistent."""

from __future__ import annotations

import numpy as np


def trim_silence(
    samples: np.ndarray,
    sample_rate: int,
    durations: np.ndarray | None = None,
    keep_seconds: float = 0.1,
    threshold_db: float = -40.0,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Cut silence beyond ``keep_seconds`` at both ends of ``samples``.

    Silence is everything quieter than ``threshold_db`` below the peak. ``durations`` (samples
    per token, summing to ``len(samples)``) are shortened at the ends to sum to the new length.
    """
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    if peak == 0.0:
        return samples, durations
    loud = np.flatnonzero(np.abs(samples) > peak * 10 ** (threshold_db / 20))
    keep = int(round(keep_seconds * sample_rate))
    start = max(0, int(loud[0]) - keep)
    end = min(samples.size, int(loud[-1]) + 1 + keep)
    trimmed = samples[start:end]
    if durations is None:
        return trimmed, None
    boundaries = np.concatenate([[0], np.cumsum(durations)])
    boundaries = np.clip(boundaries - start, 0, end - start)
    return trimmed, np.diff(boundaries)
