"""F0 at the model's frame rate, the target of a harmonic source's head (models/decoders/harmonic_source.py).

WORLD's DIO refined by StoneMask (as audio/pitch.py), with one analysis frame per latent frame: frame k is read at
k * hop samples, where the mel frame k is centred. 0 marks an unvoiced frame.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from polyvox.audio.pitch import WorldSettings, track_pitch

F0_FLOOR_HZ = 60.0
F0_CEIL_HZ = 800.0


def frame_f0(samples: np.ndarray, sample_rate: int, hop_length: int, frames: int) -> np.ndarray:
    """F0 in Hz of ``frames`` frames of ``samples`` (float, mono), 0 where unvoiced."""
    if not np.any(samples):
        return np.zeros(frames)
    settings = WorldSettings(frame_period_ms=1000.0 * hop_length / sample_rate, f0_floor_hz=F0_FLOOR_HZ, f0_ceil_hz=F0_CEIL_HZ)
    f0 = track_pitch(samples, sample_rate, settings)[0][:frames]
    return np.pad(f0, (0, frames - len(f0)))


@torch.no_grad()
def segment_f0(waveforms: Tensor, sample_rate: int, hop_length: int) -> Tensor:
    """(batch, 1, frames * hop) segments -> F0 in cycles per sample (batch, frames), 0 where unvoiced."""
    frames = waveforms.shape[-1] // hop_length
    rows = [frame_f0(row.float().cpu().numpy(), sample_rate, hop_length, frames) / sample_rate for row in waveforms[:, 0]]
    return torch.from_numpy(np.stack(rows)).to(device=waveforms.device, dtype=torch.float32)
