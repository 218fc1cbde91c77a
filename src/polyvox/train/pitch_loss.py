"""The harmonic source's head against the recordings' F0 (models/decoders/harmonic_source.py)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from polyvox.models.decoders.harmonic_source import REFERENCE_F0


def pitch_loss(prediction: Tensor, target_f0: Tensor) -> Tensor:
    """L1 of log-F0 on the voiced frames plus the voicing's binary cross-entropy on every frame.

    prediction (batch, 2, frames): log(F0 / REFERENCE_F0) and the voicing logit; target_f0 (batch, frames) in cycles
    per sample, 0 where unvoiced (padding past a clip's end reads unvoiced, as silence does)."""
    prediction = prediction.float()
    voiced = target_f0 > 0
    voicing = F.binary_cross_entropy_with_logits(prediction[:, 1], voiced.float())
    if not bool(voiced.any()):
        return voicing
    target = torch.log(target_f0[voiced] / REFERENCE_F0)
    return voicing + F.l1_loss(prediction[:, 0][voiced], target)
