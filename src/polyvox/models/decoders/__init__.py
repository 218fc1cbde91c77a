"""Waveform decoders, chosen by ``DecoderConfig.type`` from ``DECODERS``: a new decoder is its file and an entry in
models/decoder_registry.py. Each reports its own reach, minimum input and up-sampling."""

from __future__ import annotations

from polyvox.config import ConfigError, DecoderConfig
from polyvox.models.decoder_registry import DECODER_ENTRIES
from polyvox.models.decoders.hifigan import HifiGanDecoder, UpsamplingDecoder
from polyvox.models.decoders.istft import InverseStft, IstftDecoder
from polyvox.models.decoders.resblock import ResidualBlock

__all__ = [
    "DECODERS", "HifiGanDecoder", "InverseStft", "IstftDecoder", "ResidualBlock", "UpsamplingDecoder", "build_decoder", "decoder_class",
]

# The registry's classes at import; decoder_class reads the registry itself, so a later entry counts too.
DECODERS: dict[str, type[UpsamplingDecoder]] = {name: entry.load() for name, entry in DECODER_ENTRIES.items()}


def decoder_class(config: DecoderConfig) -> type[UpsamplingDecoder]:
    """The class ``config.type`` names."""
    if config.type not in DECODER_ENTRIES:
        raise ConfigError(f"decoder type must be one of {', '.join(map(repr, DECODER_ENTRIES))}, got {config.type!r}")
    return DECODER_ENTRIES[config.type].load()


def build_decoder(config: DecoderConfig, in_channels: int, speaker_channels: int) -> UpsamplingDecoder:
    """The decoder named by ``config.type``; ``speaker_channels == 0`` builds it without speaker conditioning."""
    return decoder_class(config)(config, in_channels, speaker_channels)
