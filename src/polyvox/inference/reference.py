"""Timbre from reference clips: a voice with a reference encoder speaks in the voice of a clip it never
heard (zero-shot), in any of its languages, whatever language the clip is in."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from polyvox.audio.io import load_audio
from polyvox.config import AudioConfig
from polyvox.errors import ReferenceClipError

# Shorter clips carry too little of a voice to pool statistics over (the encoder trains on >= 0.45 s crops).
MIN_REFERENCE_S = 0.5
# Longer clips are cut to their first MAX_REFERENCE_S seconds.
MAX_REFERENCE_S = 30.0
# Below this RMS a clip is treated as silence (the same floor training uses for bad clips).
SILENCE_RMS = 1e-4

ReferenceAudio = str | Path | np.ndarray


def _samples(reference: ReferenceAudio, sample_rate: int) -> tuple[np.ndarray, str]:
    # Only the first MAX_REFERENCE_S seconds are used: the timbre is settled long before, and an hour-long
    # file would otherwise be read (and encoded) whole.
    if isinstance(reference, np.ndarray):
        return reference.astype(np.float32).reshape(-1)[: int(MAX_REFERENCE_S * sample_rate)], "the reference samples"
    return load_audio(reference, sample_rate, max_seconds=MAX_REFERENCE_S), str(reference)


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

    clips = [references] if isinstance(references, (str, Path, np.ndarray)) else list(references)
    if not clips:
        raise ReferenceClipError("no reference clip given")
    mel = MelSpectrogram(audio)
    mels = []
    for clip in clips:
        samples, name = _samples(clip, audio.sample_rate)
        if not np.all(np.isfinite(samples)):
            raise ReferenceClipError(f"{name} contains NaN or infinite samples; give a clip of the voice speaking")
        duration = len(samples) / audio.sample_rate
        if duration < MIN_REFERENCE_S:
            raise ReferenceClipError(f"{name} is {duration:.2f} s long; a reference clip needs at least {MIN_REFERENCE_S} s of speech")
        rms = float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))
        if rms < SILENCE_RMS:
            raise ReferenceClipError(f"{name} is silent (RMS {rms:.1e}); give a clip of the voice speaking")
        with torch.no_grad():
            mels.append(mel(torch.from_numpy(samples).float().unsqueeze(0)))
    return mels
