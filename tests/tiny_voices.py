"""Untrained tiny voices for the server and UI tests: fast to load and to run, with real tables."""

from __future__ import annotations

from pathlib import Path

import torch

from polyvox.voice_file import VoiceMetadata, save_voice
from polyvox.config import VoiceConfig, preset
from polyvox.models.vits import VitsGenerator
from polyvox.text import SymbolTable
from polyvox.text.rules import TextRules

# The English text the voices can read; other English text may use phonemes they lack.
ENGLISH = "Hello world. The cat sat on the mat."
SPANISH = "Hola mundo."
SPEAKERS = ("en_f3", "es_m1")
# Overrides that give the tiny preset an iSTFT decoder in place of HiFi-GAN, at the same hop length.
ISTFT = {
    "model.decoder.type": "istft",
    "model.decoder.upsample_rates": [8, 8],
    "model.decoder.upsample_kernel_sizes": [16, 16],
    "model.decoder.istft_n_fft": 16,
    "model.decoder.istft_hop": 4,
}
# The same with four sub-bands joined by a pseudo-QMF synthesis (the small and medium presets' head).
MULTIBAND = {**ISTFT, "model.decoder.upsample_rates": [4, 4], "model.decoder.upsample_kernel_sizes": [8, 8], "model.decoder.subbands": 4}


def covering_symbols(config: VoiceConfig) -> SymbolTable:
    """A symbol table with exactly the phonemes of ENGLISH and SPANISH, in ``config``'s input scheme."""
    return TextRules(config, ("en", "es")).table_for([(ENGLISH, "en"), (SPANISH, "es")])


def make_tiny_voice(path: Path, seed: int) -> Path:
    """A tiny voice (en, es; speakers en_f3, es_m1) whose symbol table covers ENGLISH and SPANISH."""
    config = preset("tiny", ("en", "es"), n_speakers=len(SPEAKERS))
    symbols = covering_symbols(config)
    metadata = VoiceMetadata(config=config, symbols=symbols, languages=("en", "es"), speakers=SPEAKERS, info={})
    torch.manual_seed(seed)
    generator = VitsGenerator(config.model, len(symbols), len(SPEAKERS), config.audio.n_mels, config.audio.hop_length)
    return save_voice(path, generator.state_dict(), metadata)
