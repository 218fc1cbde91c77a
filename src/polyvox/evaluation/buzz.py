"""Frame-rate buzz: a comb of spectral lines at multiples of the model's frame rate.

A decoder that repeats a pattern every hop (its up-sampling layers are periodic in the hop; training
takes that out slowly) adds lines 86 Hz apart (22050 / 256) over the whole spectrum. The real cepstrum
of such audio peaks at the quefrency of one hop. The measure is that peak above the median of the
quefrencies around it, averaged over frames that carry signal: about 0.02 for espeak-ng's speech, 0.5
for a decoder with a strong comb. A voice whose pitch sits at the frame rate shows it too, so reports
give it as the excess over the recording's.
"""

from __future__ import annotations

from collections.abc import Sequence

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


# Steady lines: the long-term spectrum's resolution (2.7 Hz at 22.05 kHz) and the band around a line whose median is
# its floor (wide enough to hold several harmonics of a voice, whose long-term spectrum is smooth at this width).
LINE_SEGMENT_SECONDS = 8192 / 22050
LINE_FLOOR_HZ = 150.0


def steady_lines_db(samples: np.ndarray, sample_rate: int, frequencies_hz: Sequence[float]) -> np.ndarray:
    """How far a tone of each fixed frequency stands above the long-term spectrum around it, in dB (Welch average):
    near 0 for speech, whose harmonics move. A decoder that repeats a pattern every frame draws lines at the multiples
    of its frame rate that stay put under every sound (the frame buzz above, seen one line at a time). 0 for silence
    and for frequencies outside (0, Nyquist)."""
    from scipy.signal import welch

    signal = np.asarray(samples, dtype=np.float64)
    segment = min(signal.size, int(round(LINE_SEGMENT_SECONDS * sample_rate)))
    heights = np.zeros(len(frequencies_hz))
    if segment < 16 or not np.any(signal):
        return heights
    freqs, power = welch(signal, sample_rate, nperseg=segment)
    spacing = freqs[1] - freqs[0]
    for index, hz in enumerate(frequencies_hz):
        if not 0 < hz < sample_rate / 2:
            continue
        floor = np.median(power[np.abs(freqs - hz) <= max(LINE_FLOOR_HZ, 4 * spacing)])
        if floor > 0:
            heights[index] = 10.0 * np.log10(power[np.abs(freqs - hz) <= 1.5 * spacing].max() / floor)
    return heights


def frame_rate_lines_db(samples: np.ndarray, sample_rate: int, frame_rate_hz: float = DEFAULT_FRAME_RATE_HZ, up_to_hz: float = 6000.0) -> float:
    """The mean height of the lines at every multiple of the frame rate up to ``up_to_hz`` (``steady_lines_db``)."""
    multiples = np.arange(1, int(min(up_to_hz, sample_rate / 2) / frame_rate_hz) + 1) * frame_rate_hz
    return float(np.mean(steady_lines_db(samples, sample_rate, multiples))) if multiples.size else 0.0
