"""Exact dynamic time warping between two feature sequences (dtw-python, compiled, no approximation)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class AlignmentPath:
    """Matched frame pairs along the warping path, both indices non-decreasing."""

    recording_frames: np.ndarray  # (steps,) int
    synthesized_frames: np.ndarray  # (steps,) int

    def __len__(self) -> int:
        return int(self.recording_frames.size)

    @property
    def reference_frames(self) -> np.ndarray:
        """Deprecated name of ``recording_frames``."""
        warnings.warn("AlignmentPath.reference_frames is now recording_frames", DeprecationWarning, stacklevel=2)
        return self.recording_frames


def align(recording: np.ndarray, synthesized: np.ndarray) -> AlignmentPath:
    """Minimum-cost monotone path between (frames, dims) sequences under Euclidean frame distance.

    The ``symmetric2`` step pattern (a diagonal step costs twice a horizontal or vertical one) is the
    standard of MCD-DTW: the path neither favours nor penalises the diagonal.
    """
    from dtw import dtw

    if len(recording) == 0 or len(synthesized) == 0:
        raise ValueError("cannot align an empty sequence")
    result = dtw(recording, synthesized, dist_method="euclidean", step_pattern="symmetric2")
    return AlignmentPath(np.asarray(result.index1, dtype=np.int64), np.asarray(result.index2, dtype=np.int64))
