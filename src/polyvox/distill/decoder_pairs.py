"""What the source voice's decoder is asked and what it answers: for each planned sentence, the latent the
decoder receives at synthesis (text -> durations -> prior sample -> flow, exactly as ``say`` computes it)
and the waveform the decoder makes of it. A fast decoder that learns this mapping can replace the source's
while everything that decides what is said (text encoder, durations, flow) stays the source's own.

One ``<id>.npz`` per sentence (written atomically), so a stopped run keeps the pairs it finished.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from polyvox.distill.options import DistillError
from polyvox.distill.plan import PlannedClip
from polyvox.synthesis_settings import SynthesisSettings
from polyvox.files import atomic_path
from polyvox.inference.speed import float32_without_onednn
from polyvox.inference.voice import Voice
from polyvox.text.errors import TextError

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class DecoderPair:
    latent: np.ndarray  # (inter_channels, frames) float32: the decoder's input
    speaker: np.ndarray  # (speaker_channels,) float32: its speaker vector (empty without speakers)
    waveform: np.ndarray  # (frames * hop,) float32 in [-1, 1]: the source decoder's output
    prior_latent: np.ndarray | None  # (inter_channels, frames) float32: the prior's sample, the flow's input
    # A posterior's log-scales beside its means in ``latent`` (recording pairs read by the posterior encoder): training
    # draws a fresh sample every time, as voice training does; None: ``latent`` is the input as it is.
    latent_log_scales: np.ndarray | None = None

    @classmethod
    def load(cls, path: Path) -> DecoderPair:
        with np.load(path) as data:
            prior_latent = data["prior_latent"] if "prior_latent" in data.files else None  # pairs of an earlier version
            log_scales = data["latent_log_scales"] if "latent_log_scales" in data.files else None
            return cls(data["latent"], data["speaker"], data["waveform"].astype(np.float32) / 32767.0, prior_latent, log_scales)

    def student_input(self, through_flow: bool) -> np.ndarray:
        """What the student decoder reads: the prior's sample when it also stands for the flow."""
        if not through_flow:
            return self.latent
        if self.prior_latent is None:
            raise DistillError("these decoder pairs hold no prior sample (an earlier version wrote them); give another --work folder")
        return self.prior_latent


def frames_window(frames: np.ndarray, first: int, width: int) -> np.ndarray:
    """``width`` frames of ``frames`` (..., length) from ``first``, zeros past its end (float32)."""
    window = np.zeros((*frames.shape[:-1], width), dtype=np.float32)
    taken = frames[..., first : first + width]
    window[..., : taken.shape[-1]] = taken
    return window


def save_pair(path: Path, pair: DecoderPair) -> None:
    """``pair`` as ``path`` (.npz, written atomically; the waveform as 16-bit samples)."""
    with atomic_path(path) as temporary, open(temporary, "wb") as stream:
        extra = {} if pair.latent_log_scales is None else {"latent_log_scales": pair.latent_log_scales}
        np.savez(stream, latent=pair.latent, speaker=pair.speaker, waveform=np.round(pair.waveform * 32767).astype(np.int16),
                 prior_latent=pair.prior_latent, **extra)


def decoder_pair(voice: Voice, clip: PlannedClip, style: SynthesisSettings, seed: int) -> DecoderPair:
    """The decoder's input and output for ``clip`` (raises ``TextError`` for text the voice cannot read)."""
    ids, language_ids, prosody = voice.encode(clip.text, clip.language)
    generator = voice.generator
    noise = torch.Generator().manual_seed(seed)
    with torch.no_grad(), float32_without_onednn(generator):
        prior = generator.encode_prior(
            torch.tensor([ids]), torch.tensor([language_ids]), torch.tensor([len(ids)]),
            torch.tensor([voice.speakers.index(clip.speaker)]), style.length_scale, style.noise_scale_duration,
            noise_generator=noise, prosody_ids=torch.tensor([prosody]),
        )
        prior_latent = generator.sample_prior(prior, style.noise_scale, noise_generator=noise)
        latent = generator.flow(prior_latent, prior.frame_mask, prior.speaker, reverse=True) * prior.frame_mask
        waveform = generator.decoder(latent, prior.speaker)
    speaker = prior.speaker[0, :, 0] if prior.speaker is not None else torch.zeros(0)
    return DecoderPair(
        latent[0].float().numpy(), speaker.float().numpy(), waveform[0, 0].float().clamp(-1.0, 1.0).numpy(), prior_latent[0].float().numpy()
    )


def build_pairs(voice: Voice, folder: Path, clips: Sequence[PlannedClip], seed: int, progress: bool) -> list[Path]:
    """A pair for every planned clip (reusing those an earlier run wrote); the paths in plan order."""
    from tqdm.auto import tqdm

    style = voice.text.synthesis  # the voice's own settings, read when it loaded
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, clip in enumerate(tqdm(clips, desc="source decoder", unit="sentence", disable=not progress)):
        path = folder / f"{clip.identifier}.npz"
        if not path.is_file():
            try:
                pair = decoder_pair(voice, clip, style, seed + index)
            except TextError as error:
                logger.warning("the source voice cannot read %r (%s): %s; left out", clip.text, clip.language, error)
                continue
            save_pair(path, pair)
        paths.append(path)
    if not paths:
        raise DistillError("the source voice could read none of the planned sentences; is its text front end installed?")
    return paths
