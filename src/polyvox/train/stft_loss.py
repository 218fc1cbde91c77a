"""Multi-resolution STFT loss on the generated waveform (Parallel WaveGAN's objective, as MB-MelGAN and
MB-iSTFT-VITS add it to multi-band decoders).

The mel loss compares 80 bands that are wider than 86 Hz above about 1 kHz, so it cannot see a comb at
the frame rate (22050 / 256 = 86 Hz): a decoder that repeats a pattern every hop keeps it until the
discriminators notice, thousands of steps later. Linear-frequency magnitudes at several resolutions,
with hops that do not divide the frame hop, show that comb and any other fine spectral structure.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from polyvox.models.full_precision import float32_region

# Magnitudes below this are clamped before the log (silence would otherwise dominate the loss).
MAGNITUDE_FLOOR = 1e-5


class MultiResolutionStftLoss(nn.Module):
    """Mean over resolutions of spectral convergence + L1 of log magnitudes, for (batch, 1, samples) inputs."""

    def __init__(self, resolutions: tuple[tuple[int, int, int], ...]) -> None:
        super().__init__()
        self.resolutions = tuple(tuple(resolution) for resolution in resolutions)
        for index, (_, _, window) in enumerate(self.resolutions):
            self.register_buffer(f"window_{index}", torch.hann_window(window), persistent=False)

    def _magnitudes(self, waveform: Tensor, index: int) -> Tensor:
        n_fft, hop, _ = self.resolutions[index]
        window: Tensor = getattr(self, f"window_{index}")
        spectrum = torch.stft(waveform, n_fft, hop, window.shape[0], window, center=True, return_complex=True)
        return spectrum.abs().clamp(min=MAGNITUDE_FLOOR)

    def forward(self, generated: Tensor, target: Tensor) -> Tensor:
        with float32_region(generated):
            generated = generated.float().flatten(0, 1)
            target = target.float().flatten(0, 1)
            total = generated.new_zeros(())
            for index in range(len(self.resolutions)):
                fake, real = self._magnitudes(generated, index), self._magnitudes(target, index)
                convergence = torch.linalg.vector_norm(real - fake) / torch.linalg.vector_norm(real)
                log_distance = torch.mean(torch.abs(torch.log(real) - torch.log(fake)))
                total = total + convergence + log_distance
            return total / len(self.resolutions)
