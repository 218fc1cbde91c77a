"""A harmonic source for the decoders (neural source-filter): the speaker's pitch, given as sines, at every stage.

A decoder left to make the voice's periodicity itself from the latent (which carries the pitch within 35-40 cents:
benchmarks/pitch_in_latent.py) rendered voiced speech as a flat comb at the frame rate (86 Hz lines whatever the
pitch: docs/training.md). Here a small head reads F0 and voicing from
the decoder's own input (latent and speaker), a sum of harmonic sines at that F0 is made at the sample rate, and a
convolution per up-sampling stage adds it to the stage's output (as NSF-HiFiGAN and Period VITS do): strided over the
waveform, or over its sub-band spectra at the last stage of a decoder ending in an inverse STFT. The head trains on the
recordings' F0 (``polyvox.audio.frame_pitch``); during training the decoder hears the recordings' F0, at synthesis the
head's. The stage convolutions start at zero, so a voice given a source speaks as before until it trains. Everything is
deterministic (no noise: the decoder already makes the unvoiced part), so one seed gives one waveform.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from polyvox.config import DecoderConfig
from polyvox.models.decoders.pqmf import PseudoQmf

# F0 is in cycles per sample (Hz over the sample rate): the decoder needs no sample rate. The head's log-F0 is relative
# to 150 Hz at 22.05 kHz, so its output starts near a speaking voice's register.
REFERENCE_F0 = 150.0 / 22050
# F0 the head may give: 40 Hz (below a creak) to 1 kHz at 22.05 kHz.
MIN_F0 = 40.0 / 22050
MAX_F0 = 1000.0 / 22050
# Amplitude of each sine before the learned mix. NSF's 0.1 left the mixed source far quieter than the stage activations
# it joins, and a fine-tune did not learn to hear it.
SINE_AMPLITUDE = 1.0
HEAD_KERNEL = 5
# Latent frames either side an F0 reading depends on (two convolutions of HEAD_KERNEL).
HEAD_REACH = 2 * (HEAD_KERNEL // 2)
LEAKY_SLOPE = 0.1


class PitchHead(nn.Module):
    """latent (batch, in_channels, frames), speaker (batch, speaker_channels, 1) | None -> (batch, 2, frames):
    log(F0 / REFERENCE_F0) and the voicing logit."""

    def __init__(self, in_channels: int, speaker_channels: int, channels: int) -> None:
        super().__init__()
        self.conv_in = nn.Conv1d(in_channels, channels, HEAD_KERNEL, padding=HEAD_KERNEL // 2)
        self.cond = nn.Conv1d(speaker_channels, channels, 1) if speaker_channels > 0 else None
        self.conv_mid = nn.Conv1d(channels, channels, HEAD_KERNEL, padding=HEAD_KERNEL // 2)
        self.conv_out = nn.Conv1d(channels, 2, 1)

    def forward(self, latent: Tensor, speaker_embedding: Tensor | None) -> Tensor:
        hidden = self.conv_in(latent)
        if speaker_embedding is not None and self.cond is not None:
            hidden = hidden + self.cond(speaker_embedding)
        hidden = self.conv_mid(F.leaky_relu(hidden, LEAKY_SLOPE))
        return self.conv_out(F.leaky_relu(hidden, LEAKY_SLOPE))


def f0_from_head(prediction: Tensor) -> Tensor:
    """The head's (batch, 2, frames) -> F0 in cycles per sample (batch, frames), 0 where it says unvoiced."""
    f0 = REFERENCE_F0 * torch.exp(prediction[:, 0]).clamp(MIN_F0 / REFERENCE_F0, MAX_F0 / REFERENCE_F0)
    return torch.where(prediction[:, 1] > 0, f0, torch.zeros_like(f0))


def harmonic_sines(f0: Tensor, samples_per_frame: int, harmonics: int, start_phase: Tensor | None = None) -> Tensor:
    """F0 per frame in cycles per sample (batch, frames; 0: unvoiced) -> sines of its first ``harmonics`` harmonics (batch, harmonics,
    frames * samples_per_frame), F0 held over each frame, silent where unvoiced or above Nyquist.

    The phase is accumulated frame by frame as a fraction of a cycle (no float32 drift over long sentences);
    ``start_phase`` (batch,), in cycles, is where the first frame starts (0 by default)."""
    # Summed in float64: a streamed window's phase, carried from the windows before, then matches the whole sentence's.
    cycles_per_frame = f0.double() * samples_per_frame
    frame_start = torch.cumsum(cycles_per_frame, dim=1) - cycles_per_frame
    if start_phase is not None:
        frame_start = frame_start + start_phase.double()[:, None]
    frame_start = (frame_start - torch.floor(frame_start)).to(f0.dtype)
    within = torch.arange(samples_per_frame, dtype=f0.dtype, device=f0.device)
    # (batch, frames, samples_per_frame): the fundamental's phase in cycles at every sample.
    phase = frame_start[:, :, None] + f0[:, :, None] * within[None, None, :]
    order = torch.arange(1, harmonics + 1, dtype=f0.dtype, device=f0.device)
    sines = torch.sin(2.0 * math.pi * phase[:, None] * order[None, :, None, None])
    audible = (f0[:, None, :, None] * order[None, :, None, None] < 0.5) & (f0[:, None, :, None] > 0)
    sines = sines * audible.to(sines.dtype)
    return SINE_AMPLITUDE * sines.flatten(2)


class SpectralSource(nn.Module):
    """The source as an iSTFT head sees its output: split into the decoder's sub-bands (pseudo-QMF) and each band's STFT
    (the head's FFT size and hop), real and imaginary parts -> (batch, subbands * 2 * bins, frames) at the last stage's
    rate. A body that ends in an inverse STFT never runs at the sample rate: there a sine above half the stage's rate
    (689 Hz for the four-band decoder) would only arrive aliased.

    The STFT is ``torch.stft(..., window=hann_window(n_fft), center=True)`` written as a fixed strided convolution over
    the reflect-padded bands, so the decoder graph exports to ONNX at opsets without an STFT operator."""

    def __init__(self, config: DecoderConfig) -> None:
        super().__init__()
        self.n_fft, self.hop = config.istft_n_fft, config.istft_hop
        self.pqmf = PseudoQmf(config.subbands) if config.subbands > 1 else None
        bins = config.istft_n_fft // 2 + 1
        self.channels = config.subbands * 2 * bins
        window = torch.hann_window(self.n_fft, dtype=torch.float64)
        angles = 2.0 * math.pi * torch.arange(bins, dtype=torch.float64)[:, None] * torch.arange(self.n_fft)[None, :] / self.n_fft
        # (2 * bins, 1, n_fft): real parts, then imaginary parts (e^{-i angle}: minus the sine).
        basis = torch.cat([window * torch.cos(angles), -window * torch.sin(angles)], dim=0)[:, None, :]
        self.register_buffer("analysis_basis", basis.float(), persistent=False)

    def forward(self, excitation: Tensor) -> Tensor:
        bands = self.pqmf.analysis(excitation) if self.pqmf is not None else excitation.float()
        batch, count, samples = bands.shape
        padded = F.pad(bands.reshape(batch * count, 1, samples), (self.n_fft // 2, self.n_fft // 2), mode="reflect")
        # (batch * bands, 2 * bins, frames), each item's bands one after another.
        parts = F.conv1d(padded, self.analysis_basis.to(padded.dtype), stride=self.hop)[..., : samples // self.hop]
        return parts.reshape(batch, self.channels, samples // self.hop)


class HarmonicSource(nn.Module):
    """The head, the harmonics' learned mix, and one zero-initialised convolution per up-sampling stage that brings the
    source to that stage's rate and width: strided over the waveform, or (the last stage of a decoder ending in an
    inverse STFT) over the source's sub-band spectra."""

    def __init__(self, config: DecoderConfig, in_channels: int, speaker_channels: int) -> None:
        super().__init__()
        self.harmonics = config.harmonics
        self.samples_per_frame = config.total_upsampling
        self.head = PitchHead(in_channels, speaker_channels, config.pitch_channels)
        self.mix = nn.Conv1d(config.harmonics, 1, 1)
        self.spectral = SpectralSource(config) if config.inverse_stft_head else None
        self.stages = nn.ModuleList()
        channels = config.initial_channels
        rate = 1
        for index, upsample_rate in enumerate(config.upsample_rates):
            rate *= upsample_rate
            channels //= 2
            stride = self.samples_per_frame // rate
            if self.spectral is not None and index == len(config.upsample_rates) - 1:
                stage = nn.Conv1d(self.spectral.channels, channels, 1)
            elif stride > 1:
                stage = nn.Conv1d(1, channels, 2 * stride, stride=stride, padding=stride // 2)
            else:
                stage = nn.Conv1d(1, channels, 1)
            nn.init.zeros_(stage.weight)
            nn.init.zeros_(stage.bias)
            self.stages.append(stage)

    def predict(self, latent: Tensor, speaker_embedding: Tensor | None) -> Tensor:
        """The head's (batch, 2, frames) for ``latent``."""
        return self.head(latent.float(), None if speaker_embedding is None else speaker_embedding.float())

    def excitation(self, f0: Tensor, start_phase: Tensor | None = None) -> Tensor:
        """F0 in cycles per sample (batch, frames) -> the mixed source (batch, 1, frames * samples_per_frame)."""
        sines = harmonic_sines(f0.float(), self.samples_per_frame, self.harmonics, start_phase)
        return torch.tanh(self.mix(sines))

    def for_stage(self, stage: int, excitation: Tensor, length: int) -> Tensor:
        """The source at stage ``stage``'s rate and width (batch, channels, length)."""
        if self.spectral is not None and stage == len(self.stages) - 1:
            return self.stages[stage](self.spectral(excitation).to(excitation.dtype))[..., :length]
        return self.stages[stage](excitation)[..., :length]
