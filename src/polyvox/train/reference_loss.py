"""The reference encoder's objective: a crop of a clip's log-mel lands on its speaker's row of the speaker table.

Its own file so that the training module (which adds it to the generator loss) imports it without the
reference encoder's stand-alone training in reference.py and the data pipeline that one needs.
"""

from __future__ import annotations

import torch
from torch import Tensor

from polyvox.data.dataset import Batch
from polyvox.models.vits import slice_segments


def random_crops(mel: Tensor, mel_lengths: Tensor, min_frames: int, max_frames: int) -> tuple[Tensor, Tensor]:
    """One random window per clip, of random length in [min_frames, max_frames] (never past the clip's end)."""
    batch = mel.shape[0]
    longest = int(mel_lengths.max())
    upper = min(max_frames, longest)
    target = torch.randint(min(min_frames, upper), upper + 1, (batch,))
    lengths = torch.minimum(target, mel_lengths)
    max_start = (mel_lengths - lengths).clamp(min=0)
    starts = (torch.rand(batch) * (max_start + 1).float()).long().clamp(max=max_start)
    width = int(lengths.max())
    crops = slice_segments(mel, starts, width)
    return crops, lengths


def reference_loss(generator: torch.nn.Module, batch: Batch, crop_frames: tuple[int, int]) -> Tensor:
    """Mean squared distance between each crop's timbre vector and its speaker's (fixed) row."""
    crops, lengths = random_crops(batch.mel, batch.mel_lengths, crop_frames[0], crop_frames[1])
    vectors = generator.reference_vector(crops, lengths)
    targets = generator.speaker_embedding(batch.speaker_ids).detach()
    return torch.nn.functional.mse_loss(vectors, targets)


@torch.no_grad()
def nearest_speaker_accuracy(generator: torch.nn.Module, batch: Batch) -> float:
    """Share of whole clips whose timbre vector is closest to their own speaker's row (of all rows)."""
    vectors = generator.reference_vector(batch.mel, batch.mel_lengths)
    distances = torch.cdist(vectors, generator.speaker_embedding.weight)
    return float((distances.argmin(dim=1) == batch.speaker_ids).float().mean())
