"""Copy synthesis through the posterior: mel -> posterior mean -> decoder -> mel, and its distance to the input.

How well the posterior encoder and the decoder agree: validation reports it, and fine-tuning an imported voice
measures its warm-up by it (``polyvox.finetune.warmup``).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from polyvox.data.dataset import Batch
from polyvox.models.vits import VitsGenerator, sequence_mask


def posterior_reconstruction_loss(generator: VitsGenerator, mel_transform: nn.Module, batch: Batch) -> Tensor:
    """Mean absolute difference (log-mel units, per valid frame and mel band) between ``batch.mel`` and the mel
    (``mel_transform``: the features' own) of what the decoder makes of the posterior's mean."""
    speaker = generator.speaker_vector(batch.speaker_ids)
    frame_mask = sequence_mask(batch.mel_lengths, batch.mel.shape[-1]).unsqueeze(1).to(batch.mel.dtype)
    posterior = generator.posterior_encoder(batch.mel, frame_mask, speaker, noise_scale=0.0)
    reconstruction = generator.decoder(posterior.latent, speaker)
    reconstruction_mel = mel_transform(reconstruction)[..., : batch.mel.shape[-1]]
    return torch.sum(torch.abs(reconstruction_mel - batch.mel) * frame_mask) / (torch.sum(frame_mask) * batch.mel.shape[1])
