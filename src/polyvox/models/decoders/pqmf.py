"""Pseudo-QMF filter bank: a cosine-modulated split of a waveform into sub-bands and the synthesis back.

The multi-band iSTFT decoder predicts ``subbands`` signals at a ``subbands``-th of the sample rate and
joins them here, so its up-sampling layers run at a quarter of the rate of a full-band decoder.
The prototype is a Kaiser-windowed ideal low-pass; analysis and synthesis filters are its cosine
modulations with opposite phase offsets, which cancels the aliasing between neighbouring bands
(near-perfect reconstruction: analysis then synthesis returns white noise with the error 64 dB below it,
away from the edges; tests/test_pqmf.py).
Both directions are fixed (transposed) convolutions, so export needs nothing special.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from polyvox.models.full_precision import float32_region

# Prototype designs per band count: (filter order, cut-off as a fraction of the Nyquist band, Kaiser beta).
# The 4-band values are Multi-band MelGAN's, found there by minimising the reconstruction error.
PROTOTYPES = {4: (62, 0.142, 9.0)}


def prototype_filter(order: int, cutoff: float, beta: float) -> np.ndarray:
    """Kaiser-windowed ideal low-pass of ``order + 1`` taps with cut-off ``cutoff * pi`` rad/sample."""
    offsets = np.arange(order + 1) - order / 2
    omega = cutoff * np.pi
    with np.errstate(invalid="ignore", divide="ignore"):
        ideal = np.sin(omega * offsets) / (np.pi * offsets)
    ideal[order // 2] = cutoff  # the limit at the centre tap (order is even)
    return ideal * np.kaiser(order + 1, beta)


class PseudoQmf(nn.Module):
    """waveform (batch, 1, samples) <-> sub-bands (batch, subbands, samples // subbands)."""

    def __init__(self, subbands: int) -> None:
        super().__init__()
        if subbands not in PROTOTYPES:
            raise ValueError(f"no pseudo-QMF design for {subbands} sub-bands; designs exist for {sorted(PROTOTYPES)}")
        order, cutoff, beta = PROTOTYPES[subbands]
        self.subbands = subbands
        self.taps = order + 1
        self.padding = order // 2
        prototype = prototype_filter(order, cutoff, beta)
        offsets = np.arange(order + 1) - order / 2
        analysis = np.zeros((subbands, order + 1))
        synthesis = np.zeros((subbands, order + 1))
        for band in range(subbands):
            frequency = (2 * band + 1) * math.pi / (2 * subbands)
            phase = (-1) ** band * math.pi / 4
            analysis[band] = 2 * prototype * np.cos(frequency * offsets + phase)
            synthesis[band] = 2 * prototype * np.cos(frequency * offsets - phase)
        # conv1d correlates, so the analysis filters go in reversed; conv_transpose1d already convolves.
        self.register_buffer("analysis_weight", torch.from_numpy(analysis[:, None, ::-1].copy()).float(), persistent=False)
        # The factor ``subbands`` restores the energy that down-sampling by ``subbands`` removed.
        self.register_buffer("synthesis_weight", torch.from_numpy(synthesis[:, None, :] * subbands).float(), persistent=False)

    def analysis(self, waveform: Tensor) -> Tensor:
        """(batch, 1, samples) -> (batch, subbands, samples // subbands); ``samples`` a multiple of ``subbands``."""
        padded = F.pad(waveform.float(), (self.padding, self.padding))
        with float32_region(waveform):
            return F.conv1d(padded, self.analysis_weight, stride=self.subbands)[..., : waveform.shape[-1] // self.subbands]

    def synthesis(self, bands: Tensor) -> Tensor:
        """(batch, subbands, frames) -> (batch, 1, frames * subbands): zero-insert up-sampling, filter, sum."""
        with float32_region(bands):
            joined = F.conv_transpose1d(bands.float(), self.synthesis_weight, stride=self.subbands)
        return joined[..., self.padding : self.padding + bands.shape[-1] * self.subbands]
