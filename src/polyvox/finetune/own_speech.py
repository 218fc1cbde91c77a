"""The first stage of an imported voice's warm-up: its new posterior encoder learns to read back the latents
the voice itself speaks from.

Why: a posterior encoder trained only by copy synthesis through the frozen decoder finds latents the decoder
renders but the flow never made, and fine-tuning aligns text to audio through it. The
voice's own speech comes with the exact latent the decoder received, so the encoder is regressed on those
pairs (Gaussian likelihood of the known latent): 69 % of tokens within a frame against 61 % after 150 steps
each (benchmarks/imported_warmup.py --compare).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import torch
from torch import Tensor

from polyvox.audio.features import LOG_FLOOR
from polyvox.models.alignment import monotonic_alignment_search
from polyvox.models.vits import prior_log_likelihood, sequence_mask

if TYPE_CHECKING:
    from polyvox.data.dataset import EncodedUtterance

# Sampling settings of the voice's own speech: the prior noise of synthesis, so latents are the ones users hear.
NOISE_SCALE = 0.667
NOISE_SCALE_DURATION = 0.8
LOG_FLOOR_MEL = math.log(LOG_FLOOR)  # the silence the dataset pads mels with


@dataclass(frozen=True)
class OwnClip:
    """One sentence the voice spoke: the encoder's input (mel) and its answer (the latent the decoder received)."""

    mel: Tensor  # (n_mels, frames)
    latent: Tensor  # (inter, frames)
    durations: Tensor  # (text_len,) frames per id, as the voice chose them
    phoneme_ids: Tensor  # (text_len,)
    language_ids: Tensor
    prosody_ids: Tensor
    speaker_id: int


@dataclass(frozen=True)
class Agreement:
    """How far the posterior encoder agrees with the voice on its own speech."""

    latent_error: float  # squared error of the posterior mean per latent value, over the latents' variance
    aligned_within_frame: float  # share of ids whose searched duration is within one frame of the voice's own

    def describe(self) -> str:
        return f"latent error {self.latent_error:.3f} of its variance, {self.aligned_within_frame:.0%} of ids aligned within a frame"


@torch.no_grad()
def speak_own(
    generator: torch.nn.Module, mel: Callable[[Tensor], Tensor], items: Sequence[EncodedUtterance],
    speaker_ids: Sequence[int], seed: int = 0,
) -> list[OwnClip]:
    """Each item's ids spoken by the voice (speakers taken in turn from ``speaker_ids``), with the latent behind it."""
    generator.eval()
    device = next(generator.parameters()).device
    noise = torch.Generator(device=device).manual_seed(seed)
    clips = []
    for index, item in enumerate(items):
        ids = torch.tensor([item.phoneme_ids])
        prosody = torch.tensor([item.prosody_ids]) if item.prosody_ids else torch.zeros_like(ids)
        speaker = speaker_ids[index % len(speaker_ids)]
        prior = generator.encode_prior(
            ids.to(device), torch.tensor([item.language_ids], device=device), torch.tensor([ids.shape[1]], device=device),
            torch.tensor([speaker], device=device), 1.0, NOISE_SCALE_DURATION, noise_generator=noise,
            prosody_ids=prosody.to(device) if item.prosody_ids else None,
        )
        prior_latent = generator.sample_prior(prior, NOISE_SCALE, noise_generator=noise)
        latent = generator.flow(prior_latent, prior.frame_mask, prior.prosody_speaker, reverse=True) * prior.frame_mask
        waveform = generator.decoder(latent, prior.speaker).clamp(-1.0, 1.0)
        clips.append(OwnClip(
            mel(waveform[:, 0])[0].cpu(), latent[0].cpu(), prior.durations[0].long().cpu(), ids[0],
            torch.tensor(item.language_ids), prosody[0], speaker,
        ))
    return clips


@dataclass(frozen=True)
class _Padded:
    mel: Tensor
    latent: Tensor
    frame_mask: Tensor  # (batch, 1, frames) float
    speakers: Tensor


def _pad(clips: Sequence[OwnClip], device: torch.device) -> _Padded:
    frames = max(clip.mel.shape[1] for clip in clips)
    mel = torch.full((len(clips), clips[0].mel.shape[0], frames), LOG_FLOOR_MEL)
    latent = torch.zeros(len(clips), clips[0].latent.shape[0], frames)
    for row, clip in enumerate(clips):
        mel[row, :, : clip.mel.shape[1]] = clip.mel
        latent[row, :, : clip.latent.shape[1]] = clip.latent
    lengths = torch.tensor([clip.mel.shape[1] for clip in clips])
    mask = sequence_mask(lengths, frames).unsqueeze(1).float()
    speakers = torch.tensor([clip.speaker_id for clip in clips])
    return _Padded(mel.to(device), latent.to(device), mask.to(device), speakers.to(device))


def _padded_ids(values: Sequence[Tensor], device: torch.device) -> Tensor:
    return torch.nn.utils.rnn.pad_sequence(list(values), batch_first=True).to(device)


@torch.no_grad()
def agreement(generator: torch.nn.Module, clips: Sequence[OwnClip]) -> Agreement:
    """The posterior encoder's mean against the true latents, and the alignment search (posterior through the
    flow against the text prior, as training aligns) against the voice's own durations."""
    generator.eval()
    device = next(generator.parameters()).device
    padded = _pad(clips, device)
    speaker = generator.speaker_vector(padded.speakers)
    posterior = generator.posterior_encoder(padded.mel, padded.frame_mask, speaker)
    count = padded.frame_mask.sum() * padded.latent.shape[1]
    error = ((posterior.means - padded.latent).pow(2) * padded.frame_mask).sum() / count
    centred = padded.latent - (padded.latent * padded.frame_mask).sum(2, keepdim=True) / padded.frame_mask.sum(2, keepdim=True)
    variance = (centred.pow(2) * padded.frame_mask).sum() / count
    text = generator.text_encoder(
        _padded_ids([clip.phoneme_ids for clip in clips], device), _padded_ids([clip.language_ids for clip in clips], device),
        torch.tensor([len(clip.phoneme_ids) for clip in clips], device=device), speaker,
        _padded_ids([clip.prosody_ids for clip in clips], device),
    )
    flow_latent = generator.flow(posterior.latent, padded.frame_mask, speaker)
    text_mask = text.text_mask.squeeze(1) > 0
    path = monotonic_alignment_search(
        prior_log_likelihood(flow_latent, text.prior_means, text.prior_log_scales), text_mask, padded.frame_mask.squeeze(1) > 0
    )
    searched = path.sum(2)
    own = _padded_ids([clip.durations for clip in clips], device)
    within = ((searched - own).abs() <= 1)[text_mask].float().mean()
    return Agreement(float(error / variance), float(within))


def regress_posterior(
    generator: torch.nn.Module, clips: Sequence[OwnClip], steps: int, learning_rate: float, batch_size: int = 8,
    seed: int = 0, on_step: Callable[[int, float], None] | None = None,
) -> None:
    """Train only ``generator.posterior_encoder`` to give each clip's latent the highest likelihood under its
    Gaussian; every other weight is left bit for bit (and ``requires_grad`` as it was)."""
    encoder = generator.posterior_encoder
    flags = [parameter.requires_grad for parameter in encoder.parameters()]
    for parameter in encoder.parameters():
        parameter.requires_grad_(True)
    optimizer = torch.optim.AdamW(encoder.parameters(), lr=learning_rate, betas=(0.8, 0.99))
    chooser, pool = random.Random(seed), list(clips)
    encoder.train()
    for step in range(1, steps + 1):
        padded = _pad(chooser.sample(pool, min(batch_size, len(pool))), next(encoder.parameters()).device)
        with torch.no_grad():
            speaker = generator.speaker_vector(padded.speakers)
        posterior = encoder(padded.mel, padded.frame_mask, speaker)
        standardized = (padded.latent - posterior.means) * torch.exp(-posterior.log_scales)
        negative_log_likelihood = (posterior.log_scales + 0.5 * standardized.pow(2)) * padded.frame_mask
        loss = negative_log_likelihood.sum() / (padded.frame_mask.sum() * padded.latent.shape[1])
        optimizer.zero_grad(set_to_none=True)
        if bool(torch.isfinite(loss)):  # a non-finite step is skipped, as training skips it
            loss.backward()
            if bool(torch.isfinite(torch.nn.utils.clip_grad_norm_(encoder.parameters(), 5.0))):
                optimizer.step()
        if on_step is not None:
            on_step(step, float(loss.detach()))
    encoder.eval()
    for parameter, flag in zip(encoder.parameters(), flags):
        parameter.requires_grad_(flag)
