"""The source prior term of a fine-tune: what holds the old languages' reading while new ones are learned.

The text side of a VITS voice learns only towards the posterior encoder's latents of the clips it is shown. When a
fine-tune teaches a voice new languages or speakers, every phoneme those share with the voice's own language is
pulled towards the new speech, and the old language drifts (measured on an imported Piper voice: English went from
0.00 to 0.13 character error rate in 100 steps on nothing but its own speech, and the drift was all in the text
encoder). This term keeps a frozen copy of the source's text encoder and adds, on the tokens of the held languages,
the KL from the source's prior to the one training (Learning without Forgetting, on the prior), so the held
languages keep the prior the voice's flow and decoder were made for, while the other languages learn freely.

The copy is made when the fine-tune is planned (again on resume, from the same source): it is not a part of the
generator, is not in its state dict or the optimizer, and is never written to a checkpoint or a voice.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import torch
from torch import Tensor

from polyvox.models.text_encoder import TextEncoder, TextEncoderOutput


class SourcePrior:
    """A frozen copy of the source's text encoder and the language ids whose tokens it holds."""

    def __init__(self, text_encoder: TextEncoder, language_ids: Sequence[int]) -> None:
        self.text_encoder = copy.deepcopy(text_encoder).eval().requires_grad_(False)
        self.language_ids = torch.tensor(sorted(set(language_ids)), dtype=torch.long)

    def loss(
        self, student: TextEncoder, phoneme_ids: Tensor, language_ids: Tensor, text_lengths: Tensor,
        speaker: Tensor, prosody_ids: Tensor | None, text_features: Tensor | None = None,
    ) -> Tensor:
        """KL(source prior || training prior) per held token, summed over channels, averaged over held tokens
        (0 when the batch has none). ``speaker``: the text side's conditioning (detached by the caller)."""
        device = phoneme_ids.device
        if self.language_ids.device != device:
            self.text_encoder.to(device)
            self.language_ids = self.language_ids.to(device)
        inputs = (phoneme_ids, language_ids, text_lengths, speaker, prosody_ids, text_features)
        with torch.no_grad():
            source = self.text_encoder(*inputs)
        training = student(*inputs)
        held = torch.isin(language_ids, self.language_ids).unsqueeze(1).to(training.prior_means.dtype) * training.text_mask
        return torch.sum(prior_divergence(source, training) * held) / torch.clamp(torch.sum(held), min=1.0)


def prior_divergence(source: TextEncoderOutput, training: TextEncoderOutput) -> Tensor:
    """KL between the two diagonal Gaussians per token, summed over channels: (batch, 1, text_len)."""
    source_means, source_log_scales = source.prior_means.float(), source.prior_log_scales.float()
    means, log_scales = training.prior_means.float(), training.prior_log_scales.float()
    divergence = log_scales - source_log_scales - 0.5
    divergence = divergence + 0.5 * (torch.exp(2.0 * source_log_scales) + (source_means - means).pow(2)) * torch.exp(-2.0 * log_scales)
    return torch.sum(divergence, dim=1, keepdim=True)
