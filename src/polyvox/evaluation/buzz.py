"""Frame-rate buzz: a comb of spectral lines at multiples of the model's frame rate.

A decoder that repeats a pattern every hop (its up-sampling layers are periodic in the hop; training
takes that out slowly) adds lines 86 Hz apart (22050 / 256) over the whole spectrum. The real cepstrum
of such audio peaks at the quefrency of one hop. The measure is that peak above the median of the
quefrencies around it, averaged over frames that carry signal: about 0.02 for espeak-ng's speech, 0.5
for a decoder with a strong comb. A voice whose pitch sits at the frame rate shows it too, so reports
give it as the excess over the recording's.
"""

from __future__ import annotations

import numpy as np

# The frame rate of polyvox and VITS-family voices: hop 256 at 22.05 kHz (hop 512 at 44.1 kHz).
DEFAULT_FRAME_RATE_HZ = 22050 / 256
# Analysis frames: 2048 samples at 22.05 kHz (long enough to resolve 86 Hz lines), a quarter apart.
FRAME_SECONDS = 2048 / 22050
# Frames quieter than this fraction of the loudest frame's energy are left out.
QUIET_FRACTION = 1e-3
LOG_FLOOR = 1e-5


def frame_rate_buzz(samples: np.ndarray, sample_rate: int, frame_rate_hz: float = DEFAULT_FRAME_RATE_HZ) -> float:
    """Mean cepstral peak at the quefrency of one frame, above its neighbourhood's median (0 for clips too short)."""
    frame = int(round(FRAME_SECONDS * sample_rate))
    period = int(round(sample_rate / frame_rate_hz))
    signal = np.asarray(samples, dtype=np.float64)
    if signal.size < frame or period < 8 or period + period // 4 >= frame // 2:
        return 0.0
    frames = np.lib.stride_tricks.sliding_window_view(signal, frame)[:: frame // 4] * np.hanning(frame)
    energy = np.sum(frames**2, axis=1)
    frames = frames[energy > energy.max() * QUIET_FRACTION]
    if frames.size == 0:
        return 0.0
    cepstrum = np.fft.irfft(np.log(np.abs(np.fft.rfft(frames, axis=1)) + LOG_FLOOR), axis=1)
    peak = cepstrum[:, period - 1 : period + 2].max(axis=1)
    around = np.median(cepstrum[:, period - period // 4 : period + period // 4], axis=1)
    return float(np.mean(peak - around))
