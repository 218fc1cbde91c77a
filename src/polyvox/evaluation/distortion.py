"""Mel-cepstral distortion (MCD) in dB over aligned frame pairs."""

from __future__ import annotations

import math

import numpy as np

from polyvox.evaluation.alignment import AlignmentPath

# dB per unit of Euclidean cepstral distance: (10 / ln 10) * sqrt(2) turns the cepstral distance of
# log-magnitude spectra into the RMS log-spectral distance in dB (Kubichek 1993).
MCD_SCALE_DB = 10.0 / math.log(10.0) * math.sqrt(2.0)


def mel_cepstral_distortion(recording: np.ndarray, synthesized: np.ndarray, path: AlignmentPath) -> float:
    """Mean over the path of ``(10/ln10) * sqrt(2 * sum_d (c_d - c'_d)^2)``, d = 1..order (c0, energy, excluded)."""
    difference = recording[path.recording_frames, 1:] - synthesized[path.synthesized_frames, 1:]
    return float(MCD_SCALE_DB * np.mean(np.sqrt(np.sum(difference**2, axis=1))))
