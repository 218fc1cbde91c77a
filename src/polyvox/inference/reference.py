"""Timbre from reference clips: a voice with a reference encoder speaks in the voice of a clip it never
heard (zero-shot), in any of its languages, whatever language the clip is in."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from polyvox.config import AudioConfig
from polyvox.errors import ReferenceClipError
from polyvox.inference.reference_clips import MAX_REFERENCE_S, MIN_REFERENCE_S, SILENCE_RMS, ReferenceAudio, checked_clips

__all__ = ["MAX_REFERENCE_S", "MIN_REFERENCE_S", "SILENCE_RMS", "ReferenceAudio", "clip_mels", "reference_timbre", "timbre_vector"]


def reference_timbre(voice: object, references: ReferenceAudio | Sequence[ReferenceAudio]) -> torch.Tensor:
    """The timbre vector (speaker_channels,) of one or several clips (several are averaged).

    Arrays must already be at the voice's sample rate; files are resampled and down-mixed. Raises
    ``ReferenceClipError`` for a silent or too short clip, ``AudioError`` for a file that is not audio.
    """
    return timbre_vector(voice.generator, voice.metadata.config.audio, references)  # type: ignore[attr-defined]


def timbre_vector(
    generator: torch.nn.Module, audio: AudioConfig, references: ReferenceAudio | Sequence[ReferenceAudio]
) -> torch.Tensor:
    """``reference_timbre`` for a bare generator and its audio config (fine-tuning uses it to start new speakers)."""
    if generator.reference_encoder is None:
        raise ReferenceClipError(
            "this voice has no reference encoder, so it cannot speak in a reference clip's voice; "
            "add one with polyvox.train.reference.attach_reference_encoder, or fine-tune on the speaker instead"
        )
    with torch.no_grad():
        vectors = [generator.reference_vector(features, torch.tensor([features.shape[-1]]))[0] for features in clip_mels(audio, references)]
    return torch.stack(vectors).mean(dim=0)


def clip_mels(audio: AudioConfig, references: ReferenceAudio | Sequence[ReferenceAudio]) -> list[torch.Tensor]:
    """The log-mel (1, n_mels, frames) of each clip, each checked: ``ReferenceClipError`` for a silent, too short or
    non-finite clip (the timbre and the style references alike)."""
    from polyvox.audio.features import MelSpectrogram

    mel = MelSpectrogram(audio)
    with torch.no_grad():
        return [mel(torch.from_numpy(samples).float().unsqueeze(0)) for samples in checked_clips(audio.sample_rate, references)]
