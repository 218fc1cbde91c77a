"""Pitch metrics over aligned frame pairs: F0 RMSE (Hz and cents) and voiced/unvoiced error."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from polyvox.evaluation.alignment import AlignmentPath


@dataclass(frozen=True)
class PitchScores:
    f0_rmse_hz: float  # NaN when no pair is voiced in both
    f0_rmse_cents: float  # NaN when no pair is voiced in both
    voicing_error: float  # fraction of pairs whose voicing decisions differ
    voiced_pairs: int  # pairs voiced in both, the frames the RMSEs are taken over


def pitch_scores(recording_f0: np.ndarray, synthesized_f0: np.ndarray, path: AlignmentPath) -> PitchScores:
    """F0 tracks (frames,) in Hz with 0 for unvoiced frames, compared along ``path``."""
    recorded = recording_f0[path.recording_frames]
    synthesized = synthesized_f0[path.synthesized_frames]
    both = (recorded > 0) & (synthesized > 0)
    voicing_error = float(np.mean((recorded > 0) != (synthesized > 0)))
    if not both.any():
        return PitchScores(float("nan"), float("nan"), voicing_error, 0)
    hz_error = synthesized[both] - recorded[both]
    cents_error = 1200.0 * np.log2(synthesized[both] / recorded[both])
    return PitchScores(
        f0_rmse_hz=float(np.sqrt(np.mean(hz_error**2))),
        f0_rmse_cents=float(np.sqrt(np.mean(cents_error**2))),
        voicing_error=voicing_error,
        voiced_pairs=int(both.sum()),
    )
