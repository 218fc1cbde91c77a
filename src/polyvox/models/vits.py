"""The VITS-family generator: composes the components; training wrapper and losses live elsewhere."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from polyvox.config import ModelConfig
from polyvox.models.alignment import durations_to_path, monotonic_alignment_search, within_windows
from polyvox.models.decoders import build_decoder
from polyvox.models.duration import DurationPredictor
from polyvox.models.flow import ResidualCouplingFlow
from polyvox.models.frame_prior import FramePrior
from polyvox.models.full_precision import float32_region
from polyvox.models.posterior_encoder import PosteriorEncoder
from polyvox.models.reference_encoder import ReferenceEncoder
from polyvox.models.stochastic_duration import StochasticDurationPredictor
from polyvox.models.style_encoder import StyleEncoder, TrainingStyle
from polyvox.models.style_sampler import StyleSampler
from polyvox.models.text_encoder import TextEncoder, TextEncoderOutput
from polyvox.synthesis_settings import STANDARD

# Duration targets with log_duration_offset 0 (VITS family) are log(frames + this), finite for 0-frame tokens.
ZERO_DURATION_OFFSET = 1e-6


def sequence_mask(lengths: Tensor, max_length: int | Tensor | None = None) -> Tensor:
    """(batch,) lengths -> (batch, max_length) bool."""
    # The maximum stays a tensor, so an exported (traced) graph computes it from its inputs.
    max_length = lengths.max() if max_length is None else max_length
    return torch.arange(max_length, device=lengths.device)[None, :] < lengths[:, None]


def expand_by_path(text_stats: Tensor, path: Tensor) -> Tensor:
    """(batch, channels, text_len) x path (batch, text_len, frames) -> (batch, channels, frames)."""
    return torch.matmul(text_stats, path)


def prior_log_likelihood(latent: Tensor, prior_means: Tensor, prior_log_scales: Tensor) -> Tensor:
    """log N(latent_f | mean_t, scale_t) summed over channels, for every (token t, frame f) pair.

    latent (batch, channels, frames); prior stats (batch, channels, text_len) -> (batch, text_len, frames).
    Expanded as a sum of four matrix products so no (batch, channels, text_len, frames) tensor is built.
    """
    inverse_variance = torch.exp(-2.0 * prior_log_scales)
    constant = torch.sum(-0.5 * math.log(2 * math.pi) - prior_log_scales, dim=1).unsqueeze(-1)
    quadratic = torch.matmul(inverse_variance.transpose(1, 2), -0.5 * latent.pow(2))
    cross = torch.matmul((prior_means * inverse_variance).transpose(1, 2), latent)
    mean_term = torch.sum(-0.5 * prior_means.pow(2) * inverse_variance, dim=1).unsqueeze(-1)
    return constant + quadratic + cross + mean_term


def slice_segments(sequence: Tensor, starts: Tensor, size: int) -> Tensor:
    """Windows ``sequence[b, :, starts[b] : starts[b] + size]``, zero-padded past the end."""
    needed = int(starts.max()) + size if starts.numel() else size
    if sequence.shape[-1] < needed:
        sequence = nn.functional.pad(sequence, (0, needed - sequence.shape[-1]))
    offsets = starts[:, None] + torch.arange(size, device=sequence.device)[None, :]
    index = offsets[:, None, :].expand(-1, sequence.shape[1], -1)
    return torch.gather(sequence, 2, index)


def random_segments(sequence: Tensor, lengths: Tensor, segment_frames: int) -> tuple[Tensor, Tensor]:
    """Random windows of ``segment_frames`` inside each item's valid length (short items zero-padded).

    Returns the segments (batch, channels, segment_frames) and each window's start frame (batch,).
    """
    max_start = torch.clamp(lengths - segment_frames, min=0)
    starts = (torch.rand(sequence.shape[0], device=sequence.device) * (max_start + 1).to(torch.float32)).long()
    starts = torch.minimum(starts, max_start)
    return slice_segments(sequence, starts, segment_frames), starts


@dataclass
class GeneratorTrainingOutput:
    waveform_segment: Tensor | None  # (batch, 1, segment_frames * hop); None when the pass did not decode
    segment_starts: Tensor | None  # (batch,) start frame of each decoded segment
    duration_loss: Tensor  # scalar
    path: Tensor  # (batch, text_len, frames) hard alignment
    text_mask: Tensor  # (batch, 1, text_len)
    frame_mask: Tensor  # (batch, 1, frames)
    posterior_latent: Tensor  # z (batch, inter, frames)
    flow_latent: Tensor  # f(z) (batch, inter, frames)
    posterior_log_scales: Tensor  # (batch, inter, frames)
    prior_means: Tensor  # expanded to frames (batch, inter, frames)
    prior_log_scales: Tensor  # expanded to frames (batch, inter, frames)
    speaker: Tensor  # (batch, speaker_channels, 1): the posterior encoder's and the decoder's conditioning
    prosody_speaker: Tensor  # the flow's and the text side's: the speaker plus a style voice's shift
    # With a style encoder: the styles trained with (batch, style_channels) and the label loss (scalar); else None.
    style: TrainingStyle | None = None
    # With a harmonic source: its head's reading of the decoded segment (batch, 2, segment_frames) and the segment's
    # F0 it is trained on (batch, segment_frames; cycles per sample, 0 unvoiced); else None.
    pitch_prediction: Tensor | None = None
    pitch_target: Tensor | None = None


@dataclass
class SynthesisOutput:
    waveform: Tensor  # (batch, 1, samples)
    sample_lengths: Tensor  # (batch,) valid samples per item
    durations: Tensor  # (batch, text_len) frames per token
    path: Tensor  # (batch, text_len, frames)


@dataclass
class PriorOutput:
    means: Tensor  # (batch, inter, frames) prior means expanded to frames
    log_scales: Tensor  # (batch, inter, frames)
    frame_mask: Tensor  # (batch, 1, frames) float
    frame_lengths: Tensor  # (batch,)
    durations: Tensor  # (batch, text_len) frames per token
    path: Tensor  # (batch, text_len, frames)
    speaker: Tensor  # (batch, speaker_channels, 1)
    # The flow's (and the other prosody components') conditioning: the speaker vector plus the style's shift;
    # the speaker vector itself for a voice without style.
    prosody_speaker: Tensor  # (batch, speaker_channels, 1)


class VitsGenerator(nn.Module):
    def __init__(self, config: ModelConfig, n_symbols: int, n_languages: int, n_mels: int, hop_length: int) -> None:
        super().__init__()
        self.config = config
        self.hop_length = hop_length
        text_hidden = config.text_encoder.hidden_channels
        text_features = config.text_features.dim if config.text_features.enabled else 0
        self.text_encoder = TextEncoder(
            n_symbols, n_languages, config.inter_channels, config.text_encoder, config.speaker_channels, text_features
        )
        self.speaker_embedding = nn.Embedding(config.n_speakers, config.speaker_channels)
        self.posterior_encoder = PosteriorEncoder(n_mels, config.inter_channels, config.posterior, config.speaker_channels)
        self.flow = ResidualCouplingFlow(config.inter_channels, config.flow, config.speaker_channels)
        self.duration_predictor = DurationPredictor(text_hidden, config.duration, config.speaker_channels)
        self.stochastic_duration_predictor = StochasticDurationPredictor(text_hidden, config.duration, config.speaker_channels)
        self.decoder = build_decoder(config.decoder, config.inter_channels, config.speaker_channels)
        self.reference_encoder = (
            ReferenceEncoder(n_mels, config.speaker_channels, config.reference_encoder)
            if config.reference_encoder.enabled
            else None
        )
        self.style_encoder = (
            StyleEncoder(n_mels, config.speaker_channels, config.inter_channels, config.style) if config.style.enabled else None
        )
        self.frame_prior = (
            FramePrior(config.frame_prior, text_hidden, config.inter_channels, config.speaker_channels)
            if config.frame_prior.enabled
            else None
        )
        # Conditioned on the pooled text hidden states beside the speaker vector (style_condition).
        self.style_sampler = (
            StyleSampler(config.style.style_channels, text_hidden + config.speaker_channels, config.style_sampler)
            if config.style_sampler.enabled
            else None
        )

    def speaker_vector(self, speaker_ids: Tensor) -> Tensor:
        """(batch,) -> (batch, speaker_channels, 1)."""
        return self.speaker_embedding(speaker_ids).unsqueeze(-1)

    @torch.no_grad()
    def style_condition(
        self, phoneme_ids: Tensor, language_ids: Tensor, text_lengths: Tensor, speaker: Tensor, prosody_ids: Tensor | None = None,
        text_features: Tensor | None = None,
    ) -> Tensor:
        """What the style sampler is conditioned on (batch, text_hidden + speaker_channels): the text encoder's hidden
        states averaged over each sentence, beside the speaker vector (batch, speaker_channels, 1). The text is encoded
        under the neutral style, so training (which knows each item's style) and synthesis (which is drawing one) see
        the same; no gradient: the sampler's loss trains the sampler alone."""
        neutral = self.style_encoder.shift(self.style_encoder.neutral.expand(phoneme_ids.shape[0], -1))
        text = self.text_encoder(phoneme_ids, language_ids, text_lengths, speaker + neutral.speaker, prosody_ids, text_features)
        pooled = (text.hidden * text.text_mask).sum(dim=2) / text.text_mask.sum(dim=2).clamp(min=1)
        return torch.cat([pooled, speaker.squeeze(-1)], dim=1).float()

    def frame_statistics(self, text: TextEncoderOutput, path: Tensor, frame_mask: Tensor, speaker: Tensor) -> tuple[Tensor, Tensor]:
        """The prior's means and log-scales at each frame (batch, inter_channels, frames): the tokens' expanded along
        ``path`` (batch, text_len, frames), refined by the frame prior where the voice has one. ``frame_mask``
        (batch, 1, frames); ``speaker`` (batch, speaker_channels, 1): what conditions the prosody."""
        means, log_scales = expand_by_path(text.prior_means, path), expand_by_path(text.prior_log_scales, path)
        if self.frame_prior is None:
            return means, log_scales
        return self.frame_prior(expand_by_path(text.hidden, path), means, log_scales, frame_mask, speaker)

    def reference_vector(self, mel: Tensor, mel_lengths: Tensor) -> Tensor:
        """Timbre of reference clips (batch, n_mels, frames) -> (batch, speaker_channels), in the speaker table's space."""
        if self.reference_encoder is None:
            raise ValueError("this voice has no reference encoder (model.reference_encoder.enabled is false)")
        frame_mask = sequence_mask(mel_lengths, mel.shape[-1]).unsqueeze(1).to(mel.dtype)
        return self.reference_encoder(mel, frame_mask)

    def forward(
        self,
        phoneme_ids: Tensor,
        language_ids: Tensor,
        text_lengths: Tensor,
        mel: Tensor,
        mel_lengths: Tensor,
        speaker_ids: Tensor,
        segment_frames: int,
        durations: Tensor | None = None,
        has_durations: Tensor | None = None,
        prosody_ids: Tensor | None = None,
        style_ids: Tensor | None = None,
        text_features: Tensor | None = None,
        duration_windows: Tensor | None = None,
        decode: bool = True,
        segment_f0: Callable[[Tensor], Tensor] | None = None,
    ) -> GeneratorTrainingOutput:
        """Training pass. ``durations`` (batch, text_len) are known frame counts for the items
        where ``has_durations`` is true; the others are aligned by monotonic alignment search.
        ``prosody_ids`` (batch, text_len): accent and length beside each id (voices of the features scheme).
        ``style_ids`` (batch,): each item's style label, -1 where it has none (voices with a style encoder).
        ``text_features`` (batch, text_len, dim): each id's sentence-model features (voices with text features).
        ``duration_windows`` (batch, text_len, 2): the frames each id may take in the alignment search.
        ``decode=False`` skips the decoder (no waveform segment): a step that trains only the prior needs none.
        ``segment_f0``: the recordings' F0 (batch, segment_frames) of the segments starting at the given frames (batch,),
        which a decoder with a harmonic source is driven by and its head trained on (None: the head's own reading)."""
        speaker = self.speaker_vector(speaker_ids)
        frame_mask = sequence_mask(mel_lengths, mel.shape[-1]).unsqueeze(1).to(mel.dtype)
        style = None
        prosody_speaker = speaker
        if self.style_encoder is not None:
            style = self.style_encoder.training_style(mel, frame_mask, style_ids)
            shift = self.style_encoder.shift(style.vectors)
            prosody_speaker = speaker + shift.speaker
        text = self.text_encoder(phoneme_ids, language_ids, text_lengths, prosody_speaker, prosody_ids, text_features)
        if style is not None:
            text = shift.applied(text)
        posterior = self.posterior_encoder(mel, frame_mask, speaker)
        flow_latent = self.flow(posterior.latent, frame_mask, prosody_speaker)

        text_mask_bool = text.text_mask.squeeze(1) > 0
        frame_mask_bool = frame_mask.squeeze(1) > 0
        # Alignment, duration predictors and the prior's statistics stay in float32 under mixed precision.
        with float32_region(mel):
            text = text.float()
            flow_latent = flow_latent.float()
            with torch.no_grad():
                path = self._alignment(
                    text, flow_latent, text_mask_bool, frame_mask_bool, durations, has_durations, duration_windows
                )

            token_frames = path.sum(dim=2).unsqueeze(1)  # (batch, 1, text_len)
            detached_hidden = text.hidden.detach()
            speaker_float = prosody_speaker.float()
            stochastic_nll = self.stochastic_duration_predictor(detached_hidden, text.text_mask, token_frames, speaker_float)
            stochastic_loss = torch.sum(stochastic_nll) / torch.sum(text.text_mask)
            predicted_log_frames = self.duration_predictor(detached_hidden, text.text_mask, speaker_float)
            target_log_frames = torch.log(token_frames + self._duration_offset()) * text.text_mask
            deterministic_loss = torch.sum((predicted_log_frames - target_log_frames).pow(2)) / torch.sum(text.text_mask)
            prior_means, prior_log_scales = self.frame_statistics(text, path, frame_mask.float(), speaker_float)

        waveform_segment = segment_starts = pitch_prediction = pitch_target = None
        if decode:
            latent_segment, segment_starts = random_segments(posterior.latent, mel_lengths, segment_frames)
            source = self.decoder.harmonic_source
            if source is not None and segment_f0 is not None:
                pitch_target = segment_f0(segment_starts)
                pitch_prediction = source.predict(latent_segment, speaker)
            waveform_segment = self.decoder(latent_segment, speaker, pitch_target)
        return GeneratorTrainingOutput(
            waveform_segment=waveform_segment,
            segment_starts=segment_starts,
            duration_loss=deterministic_loss + stochastic_loss,
            path=path,
            text_mask=text.text_mask,
            frame_mask=frame_mask,
            posterior_latent=posterior.latent,
            flow_latent=flow_latent,
            posterior_log_scales=posterior.log_scales.float(),
            prior_means=prior_means,
            prior_log_scales=prior_log_scales,
            speaker=speaker,
            prosody_speaker=prosody_speaker,
            style=style,
            pitch_prediction=pitch_prediction,
            pitch_target=pitch_target,
        )

    @staticmethod
    def _alignment(
        text: TextEncoderOutput,
        flow_latent: Tensor,
        text_mask: Tensor,
        frame_mask: Tensor,
        durations: Tensor | None,
        has_durations: Tensor | None,
        duration_windows: Tensor | None = None,
    ) -> Tensor:
        """Hard path (batch, text_len, frames): known durations where given, alignment search elsewhere
        (within ``duration_windows`` where given)."""
        known = has_durations if durations is not None and has_durations is not None else None
        if known is not None and bool(known.all()):
            return durations_to_path(durations, text_mask, frame_mask).to(flow_latent.dtype)
        log_likelihood = prior_log_likelihood(flow_latent, text.prior_means, text.prior_log_scales)
        if duration_windows is not None:
            log_likelihood = within_windows(log_likelihood, duration_windows)
        path = monotonic_alignment_search(log_likelihood, text_mask, frame_mask).to(flow_latent.dtype)
        if known is not None and bool(known.any()):
            known_path = durations_to_path(durations, text_mask, frame_mask).to(path.dtype)
            path = torch.where(known[:, None, None], known_path, path)
        return path

    def _duration_offset(self) -> float:
        """What is added to frame counts before the log; VITS's offset 0 becomes 1e-6, as in its own loss."""
        return self.config.duration.log_duration_offset or ZERO_DURATION_OFFSET

    def predict_durations(
        self,
        text_hidden: Tensor,
        text_mask: Tensor,
        speaker: Tensor,
        length_scale: Tensor,
        noise_scale_duration: float,
        duration_noise: Tensor | None = None,
        noise_generator: torch.Generator | None = None,
    ) -> Tensor:
        """Integer frames per token (batch, text_len); a token may get 0 frames (blanks usually do)."""
        log_frames = self.duration_predictor(text_hidden, text_mask, speaker)
        weight = self.config.duration.stochastic_weight
        if weight > 0:
            stochastic = self.stochastic_duration_predictor.infer(
                text_hidden, text_mask, speaker, noise_scale_duration, noise=duration_noise, generator=noise_generator
            )
            log_frames = weight * stochastic + (1 - weight) * log_frames
        offset = self.config.duration.log_duration_offset
        frames = (torch.exp(log_frames) - offset).clamp(min=0.0) * length_scale.view(-1, 1, 1) * text_mask
        if self.config.duration.rounding == "ceil":
            return torch.ceil(frames).squeeze(1)
        # Round the running total, not each token: per-token ceil adds ~half a frame to every token
        # (a whole frame to each blank that should get none), stretching speech by 20-30 %.
        boundaries = torch.round(torch.cumsum(frames.squeeze(1), dim=1))
        previous = torch.nn.functional.pad(boundaries[:, :-1], (1, 0))
        return (boundaries - previous) * text_mask.squeeze(1)

    @torch.no_grad()
    def encode_prior(
        self,
        phoneme_ids: Tensor,
        language_ids: Tensor,
        text_lengths: Tensor,
        speaker_ids: Tensor,
        length_scale: float | Tensor = 1.0,
        noise_scale_duration: float = STANDARD.noise_scale_duration,
        durations: Tensor | None = None,
        duration_noise: Tensor | None = None,
        noise_generator: torch.Generator | None = None,
        speaker_vectors: Tensor | None = None,
        prosody_ids: Tensor | None = None,
        style_vectors: Tensor | None = None,
        text_features: Tensor | None = None,
    ) -> PriorOutput:
        """First stage of synthesis: text -> durations -> the prior's frame-level statistics.

        Runs once per sentence; the second stage (``decode_latent``) is convolutional over frames, so it
        can run on windows of the sampled latent (streaming). ``speaker_vectors`` (batch, speaker_channels),
        e.g. from ``reference_vector``, replace the speaker table's rows. ``style_vectors`` (batch, style_channels):
        the styles to speak with (a voice with a style encoder; None: its neutral style). ``text_features``
        (batch, text_len, dim): a text-feature voice's features of the sentence (None: none added)."""
        speaker = self.speaker_vector(speaker_ids) if speaker_vectors is None else speaker_vectors.unsqueeze(-1)
        prosody_speaker = speaker
        if self.style_encoder is not None:
            styles = self.style_encoder.neutral.expand(phoneme_ids.shape[0], -1) if style_vectors is None else style_vectors
            shift = self.style_encoder.shift(styles)
            prosody_speaker = speaker + shift.speaker
        text = self.text_encoder(phoneme_ids, language_ids, text_lengths, prosody_speaker, prosody_ids, text_features)
        if self.style_encoder is not None:
            text = shift.applied(text)
        if not torch.is_tensor(length_scale):
            length_scale = torch.full((phoneme_ids.shape[0],), float(length_scale))
        if durations is None:
            durations = self.predict_durations(
                text.hidden, text.text_mask, prosody_speaker, length_scale, noise_scale_duration, duration_noise, noise_generator
            )
        frame_lengths = torch.clamp(durations.sum(dim=1), min=1).long()
        frame_mask_bool = sequence_mask(frame_lengths)
        text_mask_bool = text.text_mask.squeeze(1) > 0
        path = durations_to_path(durations.long(), text_mask_bool, frame_mask_bool).to(text.prior_means.dtype)
        frame_mask = frame_mask_bool.unsqueeze(1).to(text.prior_means.dtype)
        means, log_scales = self.frame_statistics(text, path, frame_mask, prosody_speaker)
        return PriorOutput(
            means=means,
            log_scales=log_scales,
            frame_mask=frame_mask,
            frame_lengths=frame_lengths,
            durations=durations,
            path=path,
            speaker=speaker,
            prosody_speaker=prosody_speaker,
        )

    @staticmethod
    def sample_prior(
        prior: PriorOutput, noise_scale: float, noise: Tensor | None = None, noise_generator: torch.Generator | None = None
    ) -> Tensor:
        """Latent (batch, inter, frames) drawn from the prior; ``noise`` replaces the standard-normal draw."""
        if noise is None:
            noise = torch.randn(prior.means.shape, generator=noise_generator, dtype=prior.means.dtype, device=prior.means.device)
        return (prior.means + noise * torch.exp(prior.log_scales) * noise_scale) * prior.frame_mask

    @torch.no_grad()
    def decode_latent(
        self, prior_latent: Tensor, frame_mask: Tensor, speaker: Tensor, prosody_speaker: Tensor | None = None
    ) -> Tensor:
        """Second stage: prior latent -> flow (reverse) -> decoder -> waveform (batch, 1, frames * hop).
        ``prosody_speaker``: the flow's conditioning (``PriorOutput.prosody_speaker``); None: ``speaker``."""
        latent = self.flow(prior_latent, frame_mask, speaker if prosody_speaker is None else prosody_speaker, reverse=True)
        return self.decoder(latent * frame_mask, speaker)

    @torch.no_grad()
    def synthesize(
        self,
        phoneme_ids: Tensor,
        language_ids: Tensor,
        text_lengths: Tensor,
        speaker_ids: Tensor,
        length_scale: float | Tensor = 1.0,
        noise_scale: float = STANDARD.noise_scale,
        noise_scale_duration: float = STANDARD.noise_scale_duration,
        durations: Tensor | None = None,
        noise_generator: torch.Generator | None = None,
        speaker_vectors: Tensor | None = None,
        prosody_ids: Tensor | None = None,
        style_vectors: Tensor | None = None,
        text_features: Tensor | None = None,
    ) -> SynthesisOutput:
        """Text -> waveform. ``length_scale`` > 1 speaks slower; ``durations`` overrides the predictor;
        ``noise_generator`` makes all noise (durations and prior) repeatable without touching the global random state."""
        prior = self.encode_prior(
            phoneme_ids, language_ids, text_lengths, speaker_ids, length_scale, noise_scale_duration, durations,
            noise_generator=noise_generator, speaker_vectors=speaker_vectors, prosody_ids=prosody_ids, style_vectors=style_vectors,
            text_features=text_features,
        )
        prior_latent = self.sample_prior(prior, noise_scale, noise_generator=noise_generator)
        waveform = self.decode_latent(prior_latent, prior.frame_mask, prior.speaker, prior.prosody_speaker)
        return SynthesisOutput(
            waveform=waveform, sample_lengths=prior.frame_lengths * self.hop_length, durations=prior.durations, path=prior.path
        )
