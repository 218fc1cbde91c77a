"""Frame-rate comb loss: penalises the generated waveform's periodicity at one hop, beyond the target's.

A decoder that repeats a pattern every hop lays lines 86 Hz apart (22050 / 256) over the whole spectrum, whatever
the speaker's pitch; trackers then read the speech as unvoiced or at 86 Hz, and listeners hear a buzz. The STFT
loss sees the lines among every other spectral detail and, on the listener voice, left them in (frame buzz 0.45-0.55
against 0.01-0.05 for espeak-ng, Piper and Kokoro; benchmarks/README.md). This term measures the comb as
``polyvox.evaluation.buzz`` does, differentiably: the real cepstrum's peak at the quefrency of one hop above the mean
of the quefrencies around it, per analysis frame, and penalises only the excess over the target's own (a voice whose
pitch sits at the frame rate is not pushed off it).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from polyvox.models.full_precision import float32_region

# As polyvox.evaluation.buzz: log-magnitude floor, and frames long enough to resolve 86 Hz lines, a quarter apart.
LOG_FLOOR = 1e-5
FRAME_HOPS = 8  # 2048 samples at hop 256


class CombLoss(nn.Module):
    """Mean of relu(comb(generated) - comb(target)) over analysis frames, for (batch, 1, samples) inputs."""

    def __init__(self, hop_length: int) -> None:
        super().__init__()
        self.period = hop_length
        self.frame = FRAME_HOPS * hop_length
        self.register_buffer("window", torch.hann_window(self.frame), persistent=False)

    def comb(self, waveform: Tensor) -> Tensor:
        """(batch, frames) cepstral peak at one hop above its neighbourhood; no frames for a segment shorter than one."""
        frames = waveform.unfold(-1, self.frame, self.frame // 4) * self.window
        cepstrum = torch.fft.irfft(torch.log(torch.fft.rfft(frames).abs() + LOG_FLOOR), n=self.frame)
        period, reach = self.period, self.period // 4
        peak = cepstrum[..., period - 1 : period + 2].amax(dim=-1)
        around = cepstrum[..., period - reach : period + reach].mean(dim=-1)
        return peak - around

    def forward(self, generated: Tensor, target: Tensor) -> Tensor:
        with float32_region(generated):
            generated = generated.float().flatten(0, 1)
            target = target.float().flatten(0, 1)
            if generated.shape[-1] < self.frame:
                return generated.new_zeros(())
            return torch.relu(self.comb(generated) - self.comb(target)).mean()
