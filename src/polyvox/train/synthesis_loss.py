"""The synthesis loss: what reads the text, trained through the flow and the decoder as they run at inference.

VITS teaches the text encoder only through the KL term, towards the posterior encoder's latents of the target
audio. Where those latents are not the ones the voice's own flow and decoder were trained with (an imported voice,
whose posterior encoder polyvox rebuilt, fine-tuned on speech it never made), the prior learns latents the decoder
does not render as the target sounds, and fine-tuning makes a voice worse on its own data. This loss decodes the
prior's means (no noise; the step's alignment) for the segment the mel loss uses and compares their mel with the
target's, so the text side is judged by what is heard.
"""

from __future__ import annotations

from torch import Tensor

from polyvox.models.vits import GeneratorTrainingOutput, VitsGenerator, slice_segments


def prior_waveform_segment(generator: VitsGenerator, output: GeneratorTrainingOutput, segment_frames: int) -> Tensor:
    """The waveform (batch, 1, segment_frames * hop) the prior's means give for ``output``'s decoded segment,
    conditioned as the training pass conditioned the flow and the decoder."""
    prior_latent = output.prior_means.to(output.posterior_latent.dtype) * output.frame_mask
    latent = generator.flow(prior_latent, output.frame_mask, output.prosody_speaker, reverse=True) * output.frame_mask
    return generator.decoder(slice_segments(latent, output.segment_starts, segment_frames), output.speaker)
