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


# A fused-scheme voice (stress and tone part of the symbol, as voices made before the features scheme and imported ones):
# trained, as far as its table goes, on these sentences, then without the combinations FUSED_MISSING, which it knows as
# FUSED_KNOWN (for each, the nearest combination or the symbols it is made of).
FUSED_LANGUAGES = ("en", "de", "zh")
FUSED_SENTENCES = (
    ("Der Turm ist hoch.", "de"), ("Now I sound like me.", "en"), ("现在几点了？", "zh"), ("Das ist für dich.", "de"),
    ("Now I see me.", "en"), ("Now you see me.", "en"), ("Now we see me.", "en"), ("The happy city.", "en"),
    ("Der Mann hat das Haus.", "de"), ("妈妈说他来了。", "zh"), ("天气很好，我们去公园。", "zh"),
)
FUSED_MISSING = ("ˈʊɐ", "ˌiː", "ian3")
FUSED_KNOWN = ("ˈʊ", "ɐ", "ˈiː", "ian2")


def make_fused_voice(path: Path, seed: int = 0) -> Path:
    """A tiny en+de+zh voice in the fused scheme (one speaker, "one"), lacking FUSED_MISSING."""
    config = preset("tiny", FUSED_LANGUAGES, n_speakers=1).replace(**{"model.text_encoder.prosody_embeddings": False})
    table = TextRules(config, FUSED_LANGUAGES).table_for(FUSED_SENTENCES)
    symbols = SymbolTable([symbol for symbol in table.to_list() if symbol not in FUSED_MISSING]).extend(FUSED_KNOWN)
    metadata = VoiceMetadata(config=config, symbols=symbols, languages=FUSED_LANGUAGES, speakers=("one",), info={})
    torch.manual_seed(seed)
    generator = VitsGenerator(config.model, len(symbols), len(FUSED_LANGUAGES), config.audio.n_mels, config.audio.hop_length)
    return save_voice(path, generator.state_dict(), metadata)
