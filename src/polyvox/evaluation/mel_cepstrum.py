"""Mel-cepstrum of a power spectral envelope, computed the way SPTK's ``sp2mc`` does it.

The real cepstrum of the log envelope is warped onto a mel-like frequency axis by the first-order
all-pass transform ``z^-1 -> (z^-1 - alpha) / (1 - alpha z^-1)`` (SPTK's ``freqt`` recursion).
pysptk has no wheels for this Python, so the recursion is written here with numpy; it is linear in
the cepstrum, so it is built once as a matrix and applied to every frame with one product.

Conventions (SPTK's): ``log|H(w~)| = c(0) + sum_m c(m) cos(m w~)`` in natural log of the
magnitude, where ``w~`` is the warped frequency; ``c(0)`` (energy) comes first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Mel-cepstrum order (coefficients after c0) by the highest sample rate it is used for; the values
# ESPnet and other TTS evaluations use, so figures can be compared with theirs.
ORDER_BY_SAMPLE_RATE = ((16_000, 24), (24_000, 34), (48_000, 39))
# Floor of the power envelope before the log (silent input gives zeros).
POWER_FLOOR = 1e-12


def all_pass_alpha(sample_rate: int, grid_step: float = 0.001, points: int = 1000) -> float:
    """The all-pass constant whose frequency warping best fits the mel scale at ``sample_rate``.

    Least squares between the all-pass phase response and Fant's mel scale (``log(1 + f / 1000)``,
    the one SPTK fits), both normalised to [0, pi] over 0..Nyquist, on a grid of ``grid_step``
    (SPTK's ``mcepalpha`` procedure). Gives 0.41 at 16 kHz, 0.455 at 22.05 kHz, 0.554 at 48 kHz.
    """
    omega = np.linspace(0.0, np.pi, points)
    hz = omega / np.pi * sample_rate / 2
    mel = np.log1p(hz / 1000.0)
    mel_target = mel / mel[-1] * np.pi
    alphas = np.arange(0.0, 1.0, grid_step)[:, None]
    warped = omega + 2 * np.arctan(alphas * np.sin(omega) / (1 - alphas * np.cos(omega)))
    errors = np.mean((warped - mel_target) ** 2, axis=1)
    return float(np.round(alphas[int(np.argmin(errors)), 0], 3))


def cepstral_order(sample_rate: int) -> int:
    """Mel-cepstrum order used at ``sample_rate`` (see ``ORDER_BY_SAMPLE_RATE``)."""
    for highest_rate, order in ORDER_BY_SAMPLE_RATE:
        if sample_rate <= highest_rate:
            return order
    return ORDER_BY_SAMPLE_RATE[-1][1]


def frequency_warping_matrix(alpha: float, order: int, cepstrum_length: int) -> np.ndarray:
    """Matrix (order + 1, cepstrum_length) taking a linear-frequency cepstrum to the mel-cepstrum.

    SPTK's ``freqt`` feeds the cepstrum from its last coefficient to its first through a recursive
    filter bank; an input at index ``i`` is followed by ``i`` steps with no input, so column ``i`` is
    the filter state after ``i`` free steps from the unit state.
    """
    columns = np.zeros((cepstrum_length, order + 1))
    state = np.zeros(order + 1)
    state[0] = 1.0
    for index in range(cepstrum_length):
        columns[index] = state
        following = np.empty_like(state)
        following[0] = alpha * state[0]
        if order >= 1:
            following[1] = (1 - alpha * alpha) * state[0] + alpha * state[1]
        for m in range(2, order + 1):
            following[m] = state[m - 1] + alpha * (state[m] - following[m - 1])
        state = following
    return columns.T


@dataclass(frozen=True)
class MelCepstrumAnalysis:
    """Turns power envelopes (frames, fft_size // 2 + 1) into mel-cepstra (frames, order + 1)."""

    alpha: float
    order: int
    warping: np.ndarray  # (order + 1, fft_size // 2 + 1)

    @classmethod
    def for_sample_rate(cls, sample_rate: int, fft_size: int) -> MelCepstrumAnalysis:
        alpha = all_pass_alpha(sample_rate)
        order = cepstral_order(sample_rate)
        return cls(alpha=alpha, order=order, warping=frequency_warping_matrix(alpha, order, fft_size // 2 + 1))

    def __call__(self, power_envelope: np.ndarray) -> np.ndarray:
        log_power = np.log(np.maximum(power_envelope, POWER_FLOOR))
        # irfft of the log power is twice the log-magnitude cepstrum at every quefrency but 0 and
        # N/2; halving those two gives SPTK's one-sided convention c(0) + sum c(m) cos(m w).
        cepstrum = np.fft.irfft(log_power, axis=-1)[..., : power_envelope.shape[-1]].copy()
        cepstrum[..., 0] /= 2
        cepstrum[..., -1] /= 2
        return cepstrum @ self.warping.T
