"""Pseudo-QMF filter bank of the multi-band iSTFT decoder: near-perfect reconstruction, bands in place."""

from __future__ import annotations

import math

import pytest
import torch

from polyvox.config import ConfigError, DecoderConfig
from polyvox.models.decoders.pqmf import PseudoQmf

SAMPLE_RATE = 22050


def signal_to_error_db(signal: torch.Tensor, error: torch.Tensor) -> float:
    return float(10 * torch.log10((signal**2).sum() / (error**2).sum()))


def test_analysis_then_synthesis_returns_the_input():
    bank = PseudoQmf(4)
    waveform = torch.randn(2, 1, 8000, generator=torch.Generator().manual_seed(0))
    bands = bank.analysis(waveform)
    assert bands.shape == (2, 4, 2000)
    rebuilt = bank.synthesis(bands)
    assert rebuilt.shape == waveform.shape
    # Away from the edges (the filters are 63 taps long), the error is far below the signal.
    inner = slice(200, -200)
    assert signal_to_error_db(waveform[..., inner], (rebuilt - waveform)[..., inner]) > 50.0


@pytest.mark.parametrize("band", range(4))
def test_a_tone_lands_in_its_own_band(band):
    """Band k covers k..k+1 quarters of the Nyquist range: a tone in its middle puts its energy there."""
    frequency = (band + 0.5) * SAMPLE_RATE / 8
    times = torch.arange(16000) / SAMPLE_RATE
    tone = torch.sin(2 * math.pi * frequency * times)[None, None]
    energy = (PseudoQmf(4).analysis(tone)[0, :, 100:-100] ** 2).mean(dim=-1)
    assert int(energy.argmax()) == band
    assert energy[band] > 100 * (energy.sum() - energy[band])


def test_band_counts_without_a_design_are_refused():
    with pytest.raises(ValueError, match="designs exist for \\[4\\]"):
        PseudoQmf(3)
    with pytest.raises(ConfigError, match="subbands must be 1 or 4"):
        DecoderConfig(type="istft", upsample_rates=(4, 4), upsample_kernel_sizes=(8, 8), subbands=2)
    with pytest.raises(ConfigError, match="needs type 'istft'"):
        DecoderConfig(type="hifigan", upsample_rates=(4, 4), upsample_kernel_sizes=(8, 8), subbands=4)


def test_sub_bands_count_in_the_upsampling():
    decoder = DecoderConfig(type="istft", upsample_rates=(4, 4), upsample_kernel_sizes=(8, 8), istft_hop=4, subbands=4)
    assert decoder.total_upsampling == 256
