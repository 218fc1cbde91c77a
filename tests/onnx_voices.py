"""Tiny voices for the ONNX tests: untrained, but with real symbol tables and durations of a few frames."""

from __future__ import annotations

import math
from pathlib import Path

import torch

from polyvox.voice_file import VoiceMetadata, save_voice
from polyvox.config import preset
from polyvox.models.vits import VitsGenerator
from tiny_voices import ISTFT, MULTIBAND, SPEAKERS, covering_symbols

# Untrained predictors give ~0 frames per token; this bias makes it ~3, so sentences have real lengths.
LOG_FRAMES_BIAS = math.log(4.0)
# A harmonic source's stage weights in the tests' voices: loud enough that a wrong phase changes the audio.
SOURCE_STAGE_STD = 0.3


def make_voice(path: Path, decoder: str, stochastic_weight: float, seed: int = 0, harmonic_source: bool = False) -> Path:
    """A tiny en+es voice (speakers en_f3, es_m1) whose symbol table covers ENGLISH and SPANISH; with
    ``harmonic_source``, its decoder has one whose stages are heard (a new source's start silent)."""
    config = preset("tiny", ("en", "es"), n_speakers=len(SPEAKERS)).replace(**{"model.duration.stochastic_weight": stochastic_weight})
    symbols = covering_symbols(config)
    if decoder in ("istft", "multiband"):
        config = config.replace(**(ISTFT if decoder == "istft" else MULTIBAND))
    if harmonic_source:
        config = config.replace(**{"model.decoder.harmonic_source": True})
    metadata = VoiceMetadata(config=config, symbols=symbols, languages=("en", "es"), speakers=SPEAKERS, info={})
    torch.manual_seed(seed)
    generator = VitsGenerator(config.model, len(symbols), 2, config.audio.n_mels, config.audio.hop_length)
    with torch.no_grad():
        generator.duration_predictor.output_projection.bias.fill_(LOG_FRAMES_BIAS)
        for stage in generator.decoder.harmonic_source.stages if harmonic_source else ():
            stage.weight.normal_(0.0, SOURCE_STAGE_STD)
    return save_voice(path, generator.state_dict(), metadata)

