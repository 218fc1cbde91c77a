"""iSTFTNet decoder: a shorter HiFi-GAN body predicts magnitude and phase; an inverse STFT makes the waveform.

With ``subbands > 1`` (MB-iSTFTNet) each sub-band gets its own magnitude and phase, and a pseudo-QMF
synthesis joins the sub-band waveforms, so the body stops another ``subbands`` times earlier.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils.parametrizations import weight_norm

from polyvox.config import DecoderConfig, phase_advance_cycle
from polyvox.models.decoders.hifigan import POST_KERNEL_SIZE, UpsamplingDecoder
from polyvox.models.conv_geometry import Reach, back_through_transposed
from polyvox.models.decoders.pqmf import PROTOTYPES, PseudoQmf
from polyvox.models.full_precision import float32_region

# Overlap-added squared windows below this count as zero: such samples are left undivided
# (torch.istft raises there instead; here they only occur outside the returned range).
WINDOW_ENVELOPE_FLOOR = 1e-11
# Upper bound on the predicted log-magnitude, so exp() can never overflow to inf (exp(12) ~ 1.6e5,
# far above any magnitude a waveform in [-1, 1] has for the small FFT sizes used here).
MAX_LOG_MAGNITUDE = 12.0


class InverseStft(nn.Module):
    """Inverse STFT as a fixed transposed convolution, exportable to ONNX (no ``torch.istft``).

    magnitude, phase (batch, n_fft // 2 + 1, stft_frames) -> waveform (batch, 1, stft_frames * hop_length).
    Matches ``torch.istft(..., n_fft, hop_length, window=hann_window(n_fft), center=True,
    length=stft_frames * hop_length)``: a Hann window as long as the FFT, centred frames.

    With ``phase_advance`` frame t's phase of bin k is the given one plus 2 pi k t hop / n_fft, the turn a steady tone
    at that bin makes in t hops: a phase that stays put is then a steady tone, not one frame's samples repeated.
    """

    def __init__(self, n_fft: int, hop_length: int, phase_advance: bool = False) -> None:
        super().__init__()
        if not 0 < hop_length <= n_fft:
            raise ValueError(f"need 0 < hop_length <= n_fft, got hop_length={hop_length}, n_fft={n_fft}")
        self.n_fft = n_fft
        self.hop_length = hop_length
        self.n_freqs = n_fft // 2 + 1
        window = torch.hann_window(n_fft, periodic=True, dtype=torch.float64)
        freqs = torch.arange(self.n_freqs, dtype=torch.float64)[:, None]
        times = torch.arange(n_fft, dtype=torch.float64)[None, :]
        angles = 2.0 * math.pi * freqs * times / n_fft
        # A one-sided spectrum stands for its mirrored half too: every bin but DC (and Nyquist) counts twice.
        bin_weights = torch.full((self.n_freqs, 1), 2.0, dtype=torch.float64)
        bin_weights[0] = 1.0
        if n_fft % 2 == 0:
            bin_weights[-1] = 1.0
        real_basis = bin_weights * torch.cos(angles) / n_fft * window
        imag_basis = -bin_weights * torch.sin(angles) / n_fft * window
        # (2 * n_freqs, 1, n_fft): conv_transpose1d weight, input channels are [real bins, imaginary bins].
        basis = torch.cat([real_basis, imag_basis], dim=0)[:, None, :]
        self.register_buffer("synthesis_basis", basis.float(), persistent=False)
        self.register_buffer("window_square", (window**2)[None, None, :].float(), persistent=False)
        # (n_freqs, cycle): each bin's turn at every frame of the cycle after which all bins are whole turns again;
        # indexed by frame number modulo the cycle, so long sentences never lose precision to large angles.
        self.advance_cycle = phase_advance_cycle(n_fft, hop_length) if phase_advance else 0
        advance = None
        if phase_advance:
            turns = freqs * torch.arange(self.advance_cycle, dtype=torch.float64)[None, :] * hop_length / n_fft
            advance = (2.0 * math.pi * torch.remainder(turns, 1.0)).float()
        self.register_buffer("advance", advance, persistent=False)
        # Centred frames: drop n_fft // 2 samples at the start; the fixed remainder at the end is
        # trimmed, or (when hop_length > n_fft / 2) zero-padded, so the length is exactly frames * hop.
        self.start_trim = n_fft // 2
        tail = n_fft - self.start_trim - hop_length
        self.end_trim = max(tail, 0)
        self.end_padding = max(-tail, 0)

    def forward(self, magnitude: Tensor, phase: Tensor) -> Tensor:
        with float32_region(magnitude):
            return self._inverse(magnitude.float(), phase.float())

    def _inverse(self, magnitude: Tensor, phase: Tensor) -> Tensor:
        if self.advance_cycle:
            frames = torch.arange(phase.shape[-1], device=phase.device)
            # Written without remainder: ONNX's Mod is not among onnxruntime-mobile's operators.
            phase = phase + self.advance[:, frames - frames // self.advance_cycle * self.advance_cycle]
        spectrum = torch.cat([magnitude * torch.cos(phase), magnitude * torch.sin(phase)], dim=1)
        # (batch, 1, (stft_frames - 1) * hop + n_fft)
        overlapped = F.conv_transpose1d(spectrum, self.synthesis_basis, stride=self.hop_length)
        frame_ones = torch.ones_like(spectrum[:1, :1, :])
        envelope = F.conv_transpose1d(frame_ones, self.window_square, stride=self.hop_length)
        envelope = torch.where(envelope > WINDOW_ENVELOPE_FLOOR, envelope, torch.ones_like(envelope))
        waveform = overlapped / envelope
        if self.end_padding:
            waveform = F.pad(waveform, (0, self.end_padding))
        if self.end_trim:
            return waveform[..., self.start_trim : -self.end_trim]
        return waveform[..., self.start_trim :]


class IstftDecoder(UpsamplingDecoder):
    """latent (batch, in_channels, frames) -> waveform (batch, 1, frames * total_upsampling).

    ``conv_post`` predicts, per sub-band, n_fft // 2 + 1 log-magnitude channels then as many phase
    channels (phase = pi * sin(x)), as in iSTFTNet / MB-iSTFT-VITS.
    """

    def __init__(self, config: DecoderConfig, in_channels: int, speaker_channels: int) -> None:
        super().__init__(config, in_channels, speaker_channels)
        self.inverse_stft = InverseStft(config.istft_n_fft, config.istft_hop, config.istft_phase_advance)
        self.n_freqs = self.inverse_stft.n_freqs
        self.subbands = config.subbands
        self.pqmf = PseudoQmf(config.subbands) if config.subbands > 1 else None
        self.samples_per_frame = config.total_upsampling
        self.conv_post = weight_norm(
            nn.Conv1d(self.out_channels, config.subbands * 2 * self.n_freqs, POST_KERNEL_SIZE, padding=POST_KERNEL_SIZE // 2)
        )

    @staticmethod
    def head_reach(config: DecoderConfig) -> Reach:
        """The pseudo-QMF synthesis (a transposed convolution over sub-band samples, cut by half its order), then
        the inverse STFT (a transposed convolution with the FFT size as kernel, cut by n_fft // 2 at the start)."""
        reach = Reach()
        if config.subbands > 1:
            taps = PROTOTYPES[config.subbands][0] + 1
            reach = back_through_transposed(reach, taps, config.subbands, taps // 2)
        return back_through_transposed(reach, config.istft_n_fft, config.istft_hop, config.istft_n_fft // 2)

    def forward(
        self, latent: Tensor, speaker_embedding: Tensor | None = None, f0: Tensor | None = None, start_phase: Tensor | None = None
    ) -> Tensor:
        spectral = self.body(latent, speaker_embedding, f0, start_phase).float()  # bfloat16 under mixed-precision training
        bands = []
        # One band at a time with static slices: no reshape of the batch axis, so export keeps it dynamic.
        for band in range(self.subbands):
            start = band * 2 * self.n_freqs
            log_magnitude = spectral[:, start : start + self.n_freqs]
            phase_logits = spectral[:, start + self.n_freqs : start + 2 * self.n_freqs]
            magnitude = torch.exp(torch.clamp(log_magnitude, max=MAX_LOG_MAGNITUDE))
            bands.append(self.inverse_stft(magnitude, math.pi * torch.sin(phase_logits)))
        if self.pqmf is None:
            return bands[0]
        return self.pqmf.synthesis(torch.cat(bands, dim=1))
