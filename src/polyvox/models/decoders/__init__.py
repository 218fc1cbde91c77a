"""Waveform decoders: HiFi-GAN and iSTFTNet, chosen by ``DecoderConfig.type``."""

from __future__ import annotations

from polyvox.config import ConfigError, DecoderConfig
from polyvox.models.decoders.hifigan import HifiGanDecoder, UpsamplingDecoder
from polyvox.models.decoders.istft import InverseStft, IstftDecoder
from polyvox.models.decoders.resblock import ResidualBlock

__all__ = ["HifiGanDecoder", "InverseStft", "IstftDecoder", "ResidualBlock", "UpsamplingDecoder", "build_decoder"]


def build_decoder(config: DecoderConfig, in_channels: int, speaker_channels: int) -> UpsamplingDecoder:
    """The decoder named by ``config.type``; ``speaker_channels == 0`` builds it without speaker conditioning."""
    if config.type == "hifigan":
        return HifiGanDecoder(config, in_channels, speaker_channels)
    if config.type == "istft":
        return IstftDecoder(config, in_channels, speaker_channels)
    raise ConfigError(f"decoder type must be 'hifigan' or 'istft', got {config.type!r}")
