"""The modules that are exported: explicit wrappers around a generator's two synthesis stages.

Each wrapper's ``forward`` takes only tensors, in the order of the names in ``polyvox.export.metadata``,
and calls the generator's own ``encode_prior`` / ``decode_latent`` parts, so the graphs compute what
``Voice`` computes. Noise is an input: callers (and the parity tests) choose it. A style voice's graphs
take its style vector (``style_vectors``), a text-feature voice's text graphs each id's features (``text_features``,
passed by name: it follows the style input, which a voice without style lacks); a voice without them traces exactly
as before (no such inputs). The decoder graph of a voice with a harmonic source takes the source's phase and gives its
F0 (``metadata.SOURCE_INPUTS``), by name too.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from polyvox.models.vits import PriorOutput, VitsGenerator


def _encode(
    generator: VitsGenerator,
    phoneme_ids: Tensor,
    language_ids: Tensor,
    text_lengths: Tensor,
    speaker_ids: Tensor,
    length_scale: Tensor,
    noise_scale_duration: Tensor,
    duration_noise: Tensor,
    prosody_ids: Tensor,
    style_vectors: Tensor | None,
    text_features: Tensor | None,
) -> PriorOutput:
    return generator.encode_prior(
        phoneme_ids, language_ids, text_lengths, speaker_ids,
        length_scale=length_scale,
        noise_scale_duration=noise_scale_duration.view(-1, 1, 1),  # per item, against noise (batch, 2, text_len)
        duration_noise=duration_noise,
        prosody_ids=prosody_ids,
        style_vectors=style_vectors,
        text_features=text_features,
    )


def _prosody_speaker(generator: VitsGenerator, speaker: Tensor, style_vectors: Tensor | None) -> Tensor:
    """The flow's conditioning (as ``PriorOutput.prosody_speaker``): the speaker plus a style voice's shift."""
    if style_vectors is None:
        return speaker
    return speaker + generator.style_encoder.shift(style_vectors).speaker


def _flowed(generator: VitsGenerator, latent: Tensor, frame_mask: Tensor, trim: Tensor, flow_speaker: Tensor) -> Tensor:
    """Flow (reverse, conditioned on ``flow_speaker``) over all of ``latent``, less ``trim`` = [left, right] frames."""
    flowed = generator.flow(latent, frame_mask, flow_speaker, reverse=True) * frame_mask
    # An index built from the inputs keeps the cut dynamic in the graph (Python slicing would freeze it).
    kept = torch.arange(trim[0], latent.shape[-1] - trim[1], device=latent.device)
    return flowed.index_select(2, kept)


def _decode(
    generator: VitsGenerator, latent: Tensor, frame_mask: Tensor, speaker: Tensor, trim: Tensor, flow_speaker: Tensor
) -> Tensor:
    """The decoder (on ``speaker``) over the flowed latent less ``trim``; a harmonic source's phase starts at 0."""
    return generator.decoder(_flowed(generator, latent, frame_mask, trim, flow_speaker), speaker)


def _decode_with_source(
    generator: VitsGenerator, decoder_input: Tensor, speaker: Tensor, source_phase: Tensor, source_lead: Tensor
) -> tuple[Tensor, Tensor]:
    """Waveform and F0 of a decoder with a harmonic source whose phase is ``source_phase`` (batch,; cycles) at frame
    ``source_lead`` (1,) of ``decoder_input``: the phase at its first frame is that less the cycles of the lead's F0."""
    decoder = generator.decoder
    f0 = decoder.read_f0(decoder_input, speaker)
    leading = torch.arange(f0.shape[-1], device=f0.device)[None, :] < source_lead
    lead_cycles = (f0.double() * leading).sum(dim=1) * decoder.samples_per_frame
    return decoder(decoder_input, speaker, f0, source_phase.double() - lead_cycles), f0


class GeneratorGraph(nn.Module):
    """A graph made of a generator's own modules: its weights are the generator's."""

    def __init__(self, generator: VitsGenerator) -> None:
        super().__init__()
        self.generator = generator


class EncoderGraph(GeneratorGraph):
    """Text -> durations -> prior statistics per frame (``ENCODER_INPUTS`` -> ``ENCODER_OUTPUTS``)."""

    def forward(
        self,
        phoneme_ids: Tensor,
        language_ids: Tensor,
        text_lengths: Tensor,
        speaker_ids: Tensor,
        length_scale: Tensor,
        noise_scale_duration: Tensor,
        duration_noise: Tensor,
        prosody_ids: Tensor,
        style_vectors: Tensor | None = None,
        text_features: Tensor | None = None,
    ) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
        prior = _encode(
            self.generator, phoneme_ids, language_ids, text_lengths, speaker_ids, length_scale, noise_scale_duration,
            duration_noise, prosody_ids, style_vectors, text_features,
        )
        return prior.means, prior.log_scales, prior.frame_mask, prior.frame_lengths, prior.durations


class DecoderGraph(GeneratorGraph):
    """A prior latent (or a window of it) -> waveform (``DECODER_INPUTS`` -> ``DECODER_OUTPUTS``).

    ``trim`` (2,) drops that many flowed frames at the left and right before the decoder: the flow's
    own context when streaming, ``[0, 0]`` for a whole sentence. With a harmonic source, ``source_phase`` and
    ``source_lead`` place its phase, and the F0 it read comes out too.
    """

    def forward(
        self, latent: Tensor, frame_mask: Tensor, speaker_ids: Tensor, trim: Tensor, style_vectors: Tensor | None = None,
        source_phase: Tensor | None = None, source_lead: Tensor | None = None,
    ) -> Tensor | tuple[Tensor, Tensor]:
        speaker = self.generator.speaker_vector(speaker_ids)
        flow_speaker = _prosody_speaker(self.generator, speaker, style_vectors)
        if self.generator.decoder.harmonic_source is None:
            return _decode(self.generator, latent, frame_mask, speaker, trim, flow_speaker)
        if source_phase is None or source_lead is None:
            raise ValueError("a decoder with a harmonic source takes source_phase and source_lead")
        decoder_input = _flowed(self.generator, latent, frame_mask, trim, flow_speaker)
        return _decode_with_source(self.generator, decoder_input, speaker, source_phase, source_lead)


class FullGraph(GeneratorGraph):
    """Text -> waveform in one call (``FULL_INPUTS`` -> ``FULL_OUTPUTS``).

    ``prior_noise`` (batch, latent_channels, noise_frames) is read for the first ``frames`` frames;
    frames past its end get no noise (the prior mean), so any length works and a long enough one
    (``sample_lengths / samples_per_frame`` of a previous call) reproduces the two-stage graphs exactly.
    """

    def forward(
        self,
        phoneme_ids: Tensor,
        language_ids: Tensor,
        text_lengths: Tensor,
        speaker_ids: Tensor,
        length_scale: Tensor,
        noise_scale_duration: Tensor,
        noise_scale: Tensor,
        duration_noise: Tensor,
        prior_noise: Tensor,
        prosody_ids: Tensor,
        style_vectors: Tensor | None = None,
        text_features: Tensor | None = None,
    ) -> tuple[Tensor, Tensor, Tensor]:
        prior = _encode(
            self.generator, phoneme_ids, language_ids, text_lengths, speaker_ids, length_scale, noise_scale_duration,
            duration_noise, prosody_ids, style_vectors, text_features,
        )
        frames = prior.means.shape[-1]
        noise = torch.cat([prior_noise, torch.zeros_like(prior.means)], dim=2)[:, :, :frames]
        latent = self.generator.sample_prior(prior, noise_scale.view(-1, 1, 1), noise=noise)
        trim = torch.zeros(2, dtype=torch.long)
        waveform = _decode(self.generator, latent, prior.frame_mask, prior.speaker, trim, prior.prosody_speaker)
        return waveform, prior.frame_lengths * self.generator.decoder.samples_per_frame, prior.durations
