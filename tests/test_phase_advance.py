"""The inverse STFT's phase advance (model.decoder.istft_phase_advance): a steady prediction is a steady tone."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch

from polyvox.config import ConfigError, DecoderConfig, preset
from polyvox.evaluation.buzz import frame_rate_buzz
from polyvox.models.decoders import build_decoder
from polyvox.models.decoders.istft import InverseStft

RATE = 22050
MULTIBAND = {"type": "istft", "upsample_rates": (4, 4), "upsample_kernel_sizes": (8, 8), "istft_n_fft": 16, "istft_hop": 4, "subbands": 4}


def _tone_residue(waveform: torch.Tensor, bin_index: int, n_fft: int) -> float:
    """What is left of ``waveform`` beside the best-fitting steady sinusoid at the bin's frequency, relative to it."""
    samples = torch.arange(waveform.numel(), dtype=torch.float64)
    angle = 2.0 * math.pi * bin_index * samples / n_fft
    basis = torch.stack([torch.cos(angle), torch.sin(angle)], dim=1)
    target = waveform.double()
    fit = basis @ torch.linalg.lstsq(basis, target[:, None]).solution[:, 0]
    return float((target - fit).norm() / fit.norm())


@pytest.mark.parametrize("bin_index", [1, 2, 3, 5])
def test_a_steady_prediction_is_a_steady_tone_only_with_the_advance(bin_index) -> None:
    n_fft, hop, frames = 16, 4, 60
    magnitude = torch.zeros(1, n_fft // 2 + 1, frames)
    magnitude[:, bin_index] = 1.0
    phase = torch.full_like(magnitude, 0.7)
    inside = slice(4 * hop, (frames - 4) * hop)  # away from the first and last frames' half windows
    advanced = InverseStft(n_fft, hop, phase_advance=True)(magnitude, phase)[0, 0, inside]
    plain = InverseStft(n_fft, hop)(magnitude, phase)[0, 0, inside]
    assert _tone_residue(advanced, bin_index, n_fft) < 1e-5
    assert _tone_residue(plain, bin_index, n_fft) > 0.3


def test_the_advance_is_a_change_of_phase_reference_that_loses_nothing() -> None:
    """A real signal's STFT, its phases given relative to the advance, comes back as the signal."""
    n_fft, hop = 16, 4
    signal = torch.randn(1, 4 * 200, generator=torch.Generator().manual_seed(0))
    window = torch.hann_window(n_fft)
    spectrum = torch.stft(signal, n_fft, hop, window=window, center=True, return_complex=True)[..., :200]
    inverse = InverseStft(n_fft, hop, phase_advance=True)
    frames = torch.arange(200)
    turns = torch.remainder(torch.arange(n_fft // 2 + 1, dtype=torch.float64)[:, None] * frames[None, :] * hop / n_fft, 1.0)
    relative = spectrum.angle() - (2.0 * math.pi * turns).float()
    restored = inverse(spectrum.abs(), relative)
    torch.testing.assert_close(restored[..., n_fft : -n_fft], signal[None, :, n_fft : 800 - n_fft], atol=1e-5, rtol=0)


def _multiband(advance: bool) -> torch.nn.Module:
    model = preset("small").model
    config = dataclasses.replace(model.decoder, initial_channels=64, istft_phase_advance=advance, **MULTIBAND)
    torch.manual_seed(0)
    return build_decoder(config, model.inter_channels, 0).eval()


def test_slowly_drifting_latents_come_out_without_the_inverse_stfts_frame_rate_line() -> None:
    """The four-band decoder's inverse STFT runs 1378 frames a second (22050 / 16): an untrained one rings there
    unless each bin's phase advances from frame to frame."""
    torch.manual_seed(1)
    slow = torch.nn.functional.interpolate(torch.randn(1, preset("small").model.inter_channels, 12), size=400, mode="linear")
    buzz = {}
    for advance in (False, True):
        with torch.no_grad():
            buzz[advance] = frame_rate_buzz(_multiband(advance)(slow)[0, 0].numpy(), RATE, frame_rate_hz=RATE / 16)
    assert buzz[False] > 4 * buzz[True], buzz


def test_the_advance_needs_an_inverse_stft_whose_cycle_fits_a_latent_frame() -> None:
    with pytest.raises(ConfigError, match="istft_phase_advance needs a decoder ending in an inverse STFT"):
        DecoderConfig(type="hifigan", istft_phase_advance=True)
    with pytest.raises(ConfigError, match=r"product \(6\) to be a multiple of 4"):
        DecoderConfig(type="istft", upsample_rates=(2, 3), upsample_kernel_sizes=(4, 6), istft_phase_advance=True)
    assert DecoderConfig(**MULTIBAND, istft_phase_advance=True).istft_phase_advance
