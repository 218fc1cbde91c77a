"""One utterance's scores: every metric, from the features of its recording and synthesized clip."""

from __future__ import annotations

from dataclasses import dataclass

from polyvox.evaluation.alignment import align
from polyvox.evaluation.analysis import SpeechFeatures
from polyvox.evaluation.distortion import mel_cepstral_distortion
from polyvox.evaluation.duration import duration_ratio
from polyvox.evaluation.pitch import pitch_scores

# Metric names as they appear in reports, in display order.
METRICS = ("mcd_db", "f0_rmse_hz", "f0_rmse_cents", "voicing_error", "duration_ratio", "frame_buzz")


@dataclass(frozen=True)
class UtteranceScores:
    mcd_db: float  # mel-cepstral distortion after DTW
    f0_rmse_hz: float  # over pairs voiced in both (NaN if none)
    f0_rmse_cents: float
    voicing_error: float  # fraction of aligned pairs with different voicing
    duration_ratio: float  # synthesized / recorded length, silence at the ends trimmed
    frame_buzz: float  # synthesized clip's frame-rate buzz above the recording's (evaluation/buzz.py)
    voiced_pairs: int
    path_length: int


def score(recording: SpeechFeatures, synthesized: SpeechFeatures) -> UtteranceScores:
    """All metrics over one DTW path, found on the mel-cepstra without c0 (loudness does not steer it)."""
    path = align(recording.mel_cepstrum[:, 1:], synthesized.mel_cepstrum[:, 1:])
    pitch = pitch_scores(recording.f0_hz, synthesized.f0_hz, path)
    return UtteranceScores(
        mcd_db=mel_cepstral_distortion(recording.mel_cepstrum, synthesized.mel_cepstrum, path),
        f0_rmse_hz=pitch.f0_rmse_hz,
        f0_rmse_cents=pitch.f0_rmse_cents,
        voicing_error=pitch.voicing_error,
        duration_ratio=duration_ratio(recording.duration_s, synthesized.duration_s),
        frame_buzz=synthesized.frame_buzz - recording.frame_buzz,
        voiced_pairs=pitch.voiced_pairs,
        path_length=len(path),
    )
