"""What the warm-up of an imported voice's untrained parts minimises, with the rest of the generator frozen.

The same terms as training (``VitsTrainingModule.training_step``), without the adversarial ones: the mel loss of
the decoded posterior sample against the clip (through the frozen decoder), the KL between the posterior mapped
through the frozen flow and the frozen text prior (along the alignment), and the duration loss, whose only
trainable part here is the stochastic duration predictor's posterior.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import Tensor

from polyvox.models.vits import slice_segments
from polyvox.train.losses import kl_loss

if TYPE_CHECKING:
    from polyvox.data.dataset import Batch
    from polyvox.train.module import VitsTrainingModule


@dataclass(frozen=True)
class WarmupLosses:
    mel: Tensor  # L1 between log-mels of the decoded segment and the clip's
    kl: Tensor
    duration: Tensor  # both duration predictors' losses (only the stochastic one's posterior trains)
    total: Tensor  # weighted as in training


def warmup_losses(module: VitsTrainingModule, batch: Batch) -> WarmupLosses:
    """The losses of one batch, weighted as in training."""
    training = module.config.training
    hop = module.config.audio.hop_length
    output = module.generator(
        batch.phoneme_ids, batch.language_ids, batch.text_lengths, batch.mel, batch.mel_lengths, batch.speaker_ids,
        segment_frames=training.segment_frames, durations=batch.durations, has_durations=batch.has_durations,
        duration_windows=batch.duration_windows,
        prosody_ids=batch.prosody_ids, text_features=batch.text_features,
    )
    target_waveform = slice_segments(batch.waveform, output.segment_starts * hop, training.segment_frames * hop)
    mel = torch.nn.functional.l1_loss(module.loss_mel(output.waveform_segment), module.loss_mel(target_waveform))
    kl = kl_loss(output.flow_latent, output.posterior_log_scales, output.prior_means, output.prior_log_scales, output.frame_mask)
    total = training.mel_loss_weight * mel + training.kl_loss_weight * kl + training.duration_loss_weight * output.duration_loss
    return WarmupLosses(mel, kl, output.duration_loss, total)
