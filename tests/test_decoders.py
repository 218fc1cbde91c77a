"""Decoders: exact output length, finite output, trainable, iSTFT parity with torch.istft, weight-norm removal."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from polyvox.config import DecoderConfig, preset
from polyvox.models.decoders import HifiGanDecoder, InverseStft, IstftDecoder, ResidualBlock, build_decoder

DECODER_TYPES = ("hifigan", "istft", "multiband")
# Each decoder at the presets' hop length (256): HiFi-GAN up-samples all the way; iSTFTNet stops at 64 and
# its inverse STFT's hop does the rest; the multi-band iSTFT stops at 16, four sub-bands of hop 4 each.
LAYOUTS = {
    "hifigan": {"type": "hifigan", "upsample_rates": (8, 8, 4), "upsample_kernel_sizes": (16, 16, 8), "subbands": 1},
    "istft": {"type": "istft", "upsample_rates": (8, 8), "upsample_kernel_sizes": (16, 16), "istft_n_fft": 16, "istft_hop": 4, "subbands": 1},
    "multiband": {"type": "istft", "upsample_rates": (4, 4), "upsample_kernel_sizes": (8, 8), "istft_n_fft": 16, "istft_hop": 4, "subbands": 4},
}


def _decoder_config(preset_name: str, decoder_type: str) -> DecoderConfig:
    """The preset's decoder (its widths and residual blocks) with the requested head and up-sampling."""
    return dataclasses.replace(preset(preset_name).model.decoder, **LAYOUTS[decoder_type])


@pytest.mark.parametrize("preset_name", ["tiny", "small"])
@pytest.mark.parametrize("decoder_type", DECODER_TYPES)
@pytest.mark.parametrize("with_speaker", [True, False])
def test_output_length_is_frames_times_hop(preset_name: str, decoder_type: str, with_speaker: bool) -> None:
    torch.manual_seed(0)
    voice = preset(preset_name)
    config = _decoder_config(preset_name, decoder_type)
    speaker_channels = voice.model.speaker_channels if with_speaker else 0
    decoder = build_decoder(config, voice.model.inter_channels, speaker_channels).eval()
    assert isinstance(decoder, HifiGanDecoder if decoder_type == "hifigan" else IstftDecoder)
    if decoder_type != "hifigan":
        assert (decoder.pqmf is not None) == (decoder_type == "multiband")
    assert decoder.samples_per_frame == voice.audio.hop_length == config.total_upsampling
    for frames in (1, 2, 17):
        latent = torch.randn(2, voice.model.inter_channels, frames)
        speaker = torch.randn(2, speaker_channels, 1) if with_speaker else None
        with torch.no_grad():
            waveform = decoder(latent, speaker)
        assert waveform.shape == (2, 1, frames * voice.audio.hop_length)
        assert torch.isfinite(waveform).all()


def test_speaker_embedding_without_conditioning_fails_loudly() -> None:
    decoder = build_decoder(preset("tiny").model.decoder, 8, 0)
    with pytest.raises(ValueError, match="speaker_channels=0"):
        decoder(torch.randn(1, 8, 3), torch.randn(1, 8, 1))


def _random_sinusoids(batch: int, samples: int, n_partials: int = 4, max_cycles_per_sample: float = 0.05) -> torch.Tensor:
    """A fixed random target that a decoder can fit: a few low sinusoids, (batch, 1, samples) in [-0.4, 0.4]."""
    generator = torch.Generator().manual_seed(1)
    freqs = max_cycles_per_sample * torch.rand(batch, n_partials, 1, generator=generator)
    phases = 2 * torch.pi * torch.rand(batch, n_partials, 1, generator=generator)
    times = torch.arange(samples, dtype=torch.float32)
    return 0.1 * torch.sin(2 * torch.pi * freqs * times + phases).sum(dim=1, keepdim=True)


@pytest.mark.parametrize("decoder_type", DECODER_TYPES)
def test_tiny_decoder_is_trainable(decoder_type: str) -> None:
    torch.manual_seed(0)
    voice = preset("tiny")
    decoder = build_decoder(_decoder_config("tiny", decoder_type), voice.model.inter_channels, voice.model.speaker_channels)
    frames = 4
    latent = torch.randn(2, voice.model.inter_channels, frames)
    speaker = torch.randn(2, voice.model.speaker_channels, 1)
    target = _random_sinusoids(2, frames * voice.audio.hop_length)
    optimizer = torch.optim.Adam(decoder.parameters(), lr=5e-3)
    losses = []
    for _ in range(30):
        loss = torch.nn.functional.l1_loss(decoder(latent, speaker), target)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert all(torch.isfinite(torch.tensor(losses)))
    assert losses[-1] < 0.7 * losses[0], losses


# torch.istft warns when it zero-pads the tail (hop_length > n_fft / 2); InverseStft pads the same way.
@pytest.mark.filterwarnings("ignore:The length of signal is shorter")
@pytest.mark.parametrize(("n_fft", "hop_length"), [(16, 4), (16, 8), (15, 4), (16, 12), (64, 16)])
@pytest.mark.parametrize("stft_frames", [1, 2, 9])
def test_inverse_stft_matches_torch_istft(n_fft: int, hop_length: int, stft_frames: int) -> None:
    torch.manual_seed(0)
    n_freqs = n_fft // 2 + 1
    magnitude = 2.0 * torch.rand(3, n_freqs, stft_frames)
    phase = torch.pi * (2.0 * torch.rand(3, n_freqs, stft_frames) - 1.0)
    expected = torch.istft(
        torch.polar(magnitude, phase), n_fft, hop_length, window=torch.hann_window(n_fft),
        center=True, length=stft_frames * hop_length,
    )
    waveform = InverseStft(n_fft, hop_length)(magnitude, phase)
    assert waveform.shape == (3, 1, stft_frames * hop_length)
    torch.testing.assert_close(waveform[:, 0], expected, atol=1e-4, rtol=0.0)


def test_inverse_stft_inverts_torch_stft() -> None:
    torch.manual_seed(0)
    n_fft, hop_length, stft_frames = 16, 4, 25
    signal = torch.randn(2, stft_frames * hop_length)
    spectrum = torch.stft(signal, n_fft, hop_length, window=torch.hann_window(n_fft), center=True, return_complex=True)
    waveform = InverseStft(n_fft, hop_length)(spectrum.abs()[..., :stft_frames], spectrum.angle()[..., :stft_frames])
    torch.testing.assert_close(waveform[:, 0], signal, atol=1e-4, rtol=0.0)


def test_inverse_stft_window_is_a_buffer() -> None:
    module = InverseStft(16, 4)
    assert {name for name, _ in module.named_buffers()} == {"synthesis_basis", "window_square"}
    assert not list(module.parameters())


@pytest.mark.parametrize("decoder_type", DECODER_TYPES)
def test_remove_weight_norm_keeps_output(decoder_type: str) -> None:
    torch.manual_seed(0)
    voice = preset("tiny")
    decoder = build_decoder(_decoder_config("tiny", decoder_type), voice.model.inter_channels, voice.model.speaker_channels)
    decoder.eval()
    latent = torch.randn(2, voice.model.inter_channels, 5)
    speaker = torch.randn(2, voice.model.speaker_channels, 1)
    with torch.no_grad():
        before = decoder(latent, speaker)
        decoder.remove_weight_norm()
        after = decoder(latent, speaker)
    assert not any("parametrizations" in name for name, _ in decoder.named_parameters())
    torch.testing.assert_close(after, before, atol=1e-5, rtol=0.0)


@pytest.mark.parametrize("kernel_size", [3, 4, 7])
def test_residual_block_preserves_length(kernel_size: int) -> None:
    block = ResidualBlock(channels=4, kernel_size=kernel_size, dilations=(1, 2, 3))
    for frames in (1, 6, 33):
        assert block(torch.randn(2, 4, frames)).shape == (2, 4, frames)


def test_odd_kernel_minus_rate_upsampling_keeps_length() -> None:
    config = DecoderConfig(initial_channels=8, upsample_rates=(3, 2), upsample_kernel_sizes=(6, 5),
                           resblock_kernel_sizes=(3,), resblock_dilations=((1,),))
    decoder = HifiGanDecoder(config, in_channels=4, speaker_channels=0)
    assert decoder(torch.randn(1, 4, 7)).shape == (1, 1, 7 * 6)


@pytest.mark.parametrize("decoder_type", DECODER_TYPES)
def test_small_preset_decoder_parameter_count(decoder_type: str) -> None:
    # small is the ~6M-parameter default voice; its decoder takes about a third of that.
    voice = preset("small")
    decoder = build_decoder(_decoder_config("small", decoder_type), voice.model.inter_channels, voice.model.speaker_channels)
    n_parameters = sum(parameter.numel() for parameter in decoder.parameters())
    assert 1_500_000 < n_parameters < 3_000_000, n_parameters


def test_a_new_decoder_is_its_class_and_one_registry_entry(monkeypatch) -> None:
    # #22 item 2: a config names it, and it reports its own up-sampling, reach and minimum input.
    from polyvox.models.decoder_registry import DECODER_ENTRIES, DecoderEntry
    from polyvox.models.minimum_length import minimum_input
    from polyvox.models.receptive_field import decoder_reach

    monkeypatch.setitem(DECODER_ENTRIES, "istft_again", DecoderEntry("polyvox.models.decoders.istft:IstftDecoder", inverse_stft_head=True))
    voice = preset("tiny").replace(**{f"model.decoder.{key}": value for key, value in LAYOUTS["multiband"].items()})
    again = voice.replace(**{"model.decoder.type": "istft_again"})
    assert again.model.decoder.total_upsampling == voice.audio.hop_length
    assert decoder_reach(again.model.decoder) == decoder_reach(voice.model.decoder)
    assert minimum_input(again).per_component == minimum_input(voice).per_component
    assert isinstance(build_decoder(again.model.decoder, voice.model.inter_channels, 0), IstftDecoder)
