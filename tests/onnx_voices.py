"""Tiny voices for the ONNX tests: untrained, but with real symbol tables and durations of a few frames."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import torch

from polyvox.checkpoint import VoiceMetadata, save_voice
from polyvox.config import preset
from polyvox.models.vits import VitsGenerator
from polyvox.text import SymbolTable, TextFrontend

ENGLISH = "Hello world. The cat sat on the mat."
SPANISH = "Hola mundo."
SPEAKERS = ("en_f3", "es_m1")
ISTFT = {
    "model.decoder.type": "istft",
    "model.decoder.upsample_rates": [8, 8],
    "model.decoder.upsample_kernel_sizes": [16, 16],
    "model.decoder.istft_n_fft": 16,
    "model.decoder.istft_hop": 4,
}
# Untrained predictors give ~0 frames per token; this bias makes it ~3, so sentences have real lengths.
LOG_FRAMES_BIAS = math.log(4.0)


def make_voice(path: Path, decoder: str, stochastic_weight: float, seed: int = 0) -> Path:
    """A tiny en+es voice (speakers en_f3, es_m1) whose symbol table covers ENGLISH and SPANISH."""
    frontend = TextFrontend(["en", "es"])
    symbols = SymbolTable.from_sequences(
        [[token.symbol for token in frontend.phonemize(ENGLISH, "en")], [token.symbol for token in frontend.phonemize(SPANISH, "es")]]
    )
    config = preset("tiny", ("en", "es"), n_speakers=len(SPEAKERS)).replace(**{"model.duration.stochastic_weight": stochastic_weight})
    if decoder == "istft":
        config = config.replace(**ISTFT)
    metadata = VoiceMetadata(config=config, symbols=symbols, languages=("en", "es"), speakers=SPEAKERS, info={})
    torch.manual_seed(seed)
    generator = VitsGenerator(config.model, len(symbols), 2, config.audio.n_mels, config.audio.hop_length)
    with torch.no_grad():
        generator.duration_predictor.output_projection.bias.fill_(LOG_FRAMES_BIAS)
    return save_voice(path, generator.state_dict(), metadata)


@contextmanager
def one_torch_thread() -> Iterator[None]:
    """Tiny models run fastest on one thread, and the machine's other cores may be busy."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)
