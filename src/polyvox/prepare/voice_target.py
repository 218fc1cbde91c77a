"""What preparation takes from the voice the data is for: its sample rate, the model's shortest
clip, its phoneme-rate bounds, and its symbol table and languages."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from polyvox.config import TrainingConfig
from polyvox.text.rules import TextRules


@dataclass(frozen=True)
class VoiceTarget:
    sample_rate: int
    minimum_clip_s: float
    training: TrainingConfig
    # The voice's text rules: its symbol table read in its input scheme.
    rules: TextRules
    languages: tuple[str, ...]


def voice_target(path: str | Path) -> VoiceTarget:
    from polyvox.voice_file import read_metadata
    from polyvox.models.minimum_length import minimum_input

    metadata = read_metadata(path)
    return VoiceTarget(
        sample_rate=metadata.config.audio.sample_rate,
        minimum_clip_s=minimum_input(metadata.config).seconds,
        training=metadata.config.training,
        rules=TextRules.of(metadata),
        languages=metadata.languages,
    )
