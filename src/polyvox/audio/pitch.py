"""Pitch shift in semitones that keeps the duration and the formants (WORLD analysis and resynthesis).

WORLD splits speech frame by frame into F0, a spectral envelope (the formants) and aperiodicity.
Scaling F0 alone and resynthesising moves the pitch while the envelope and the frame timing, hence
the formants and the duration, stay as they were. Resampling (or a tape-speed change) would move the
formants with the pitch and change the length; a phase vocoder keeps the length but still moves the
formants. pyworld is already a polyvox dependency (evaluation), needs no torch, and works on numpy
arrays, so the ONNX engine can use this module as well.

F0 comes from DIO refined by StoneMask: far faster than Harvest, and on polyvox voices
Harvest tends to lock onto the faint buzz at the decoder's frame rate instead of the voice's pitch.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np

from polyvox.errors import PolyvoxError

logger = logging.getLogger(__name__)

# Beyond two octaves WORLD's resynthesis stops sounding like the same speaker.
MAX_SEMITONES = 24.0


class PitchError(PolyvoxError, ValueError):
    """A pitch shift that cannot be done (not a finite number, or beyond +-MAX_SEMITONES)."""


@dataclass(frozen=True)
class WorldSettings:
    """How speech is analysed for a pitch shift.

    F0 is tracked, and speech resynthesised, every millisecond: at WORLD's usual 5 ms the analysis and
    resynthesis alone, with no shift, took DNSMOS OVRL of Piper's joe from 3.25 to 2.71; at 1 ms to 3.05
    (benchmarks/pitch_quality.py). The spectral envelope and the aperiodicity change more slowly and cost most
    to analyse: they are taken every ``envelope_period_ms`` and interpolated between.
    """

    frame_period_ms: float = 1.0
    envelope_period_ms: float = 5.0
    f0_floor_hz: float = 71.0
    f0_ceil_hz: float = 800.0


def check_semitones(semitones: float) -> None:
    """Raise ``PitchError`` unless ``semitones`` is a finite shift within +-MAX_SEMITONES."""
    if not math.isfinite(semitones) or abs(semitones) > MAX_SEMITONES:
        raise PitchError(f"pitch must be between -{MAX_SEMITONES:g} and +{MAX_SEMITONES:g} semitones, got {semitones}")


@dataclass(frozen=True)
class WorldAnalysis:
    """One clip split by WORLD, frame by frame (``settings.frame_period_ms`` apart)."""

    signal: np.ndarray  # float64, what was analysed
    f0_hz: np.ndarray  # (frames,), 0 where unvoiced
    times_s: np.ndarray  # (frames,)
    envelope: np.ndarray  # (frames, bins): spectral envelope (power), the formants
    aperiodicity: np.ndarray  # (frames, bins)


def analyse(samples: np.ndarray, sample_rate: int, settings: WorldSettings) -> WorldAnalysis | None:
    """WORLD's analysis of mono ``samples``; None for a clip under two analysis frames (too short to analyse)."""
    import pyworld

    signal = np.ascontiguousarray(samples, dtype=np.float64).reshape(-1)
    if signal.size < 2 * max(settings.frame_period_ms, settings.envelope_period_ms) * sample_rate / 1000:
        logger.debug("%d samples are too few to analyse; pitch left as is", signal.size)
        return None
    f0, times = track_pitch(signal, sample_rate, settings)
    step = max(1, round(settings.envelope_period_ms / settings.frame_period_ms))
    coarse_f0, coarse_times = np.ascontiguousarray(f0[::step]), np.ascontiguousarray(times[::step])
    fft_size = pyworld.get_cheaptrick_fft_size(sample_rate, settings.f0_floor_hz)
    envelope = pyworld.cheaptrick(signal, coarse_f0, coarse_times, sample_rate, f0_floor=settings.f0_floor_hz, fft_size=fft_size)
    aperiodicity = pyworld.d4c(signal, coarse_f0, coarse_times, sample_rate, fft_size=fft_size)
    if step > 1:  # the envelope interpolated in dB (log power), as it is heard
        envelope = np.exp(interpolated(np.log(envelope), coarse_times, times))
        aperiodicity = interpolated(aperiodicity, coarse_times, times)
    return WorldAnalysis(signal, f0, times, envelope, aperiodicity)


def interpolated(frames: np.ndarray, at: np.ndarray, to: np.ndarray) -> np.ndarray:
    """Rows of ``frames`` (one per time in ``at``) linearly interpolated to the times ``to`` (held beyond the ends)."""
    position = np.interp(to, at, np.arange(at.size, dtype=np.float64))
    left = np.floor(position).astype(np.int64)
    right = np.minimum(left + 1, at.size - 1)
    weight = (position - left)[:, None]
    return np.ascontiguousarray((1.0 - weight) * frames[left] + weight * frames[right])


def track_pitch(samples: np.ndarray, sample_rate: int, settings: WorldSettings | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(F0 in Hz with 0 where unvoiced, frame times in s) of mono ``samples``: DIO refined by StoneMask."""
    import pyworld

    settings = settings or WorldSettings()
    signal = np.ascontiguousarray(samples, dtype=np.float64).reshape(-1)
    coarse_f0, times = pyworld.dio(
        signal, sample_rate, f0_floor=settings.f0_floor_hz, f0_ceil=settings.f0_ceil_hz, frame_period=settings.frame_period_ms
    )
    return pyworld.stonemask(signal, coarse_f0, times, sample_rate), times


def resynthesise(
    analysis: WorldAnalysis, f0_hz: np.ndarray, sample_rate: int, settings: WorldSettings, envelope: np.ndarray | None = None,
    rate: float = 1.0,
) -> np.ndarray:
    """The analysed clip spoken at ``f0_hz`` (and ``envelope``), at its own length divided by ``rate`` (the same frames,
    each played 1/rate as long: the pitch stays); float32 in [-1, 1]."""
    import pyworld

    envelope = analysis.envelope if envelope is None else envelope
    spoken = pyworld.synthesize(f0_hz, envelope, analysis.aperiodicity, sample_rate, settings.frame_period_ms / rate)
    # WORLD ends on a whole frame; cut or pad to the input's exact (stretched) length.
    length = analysis.signal.size if rate == 1.0 else round(analysis.signal.size / rate)
    output = np.zeros(length, dtype=np.float32)
    kept = min(length, spoken.size)
    output[:kept] = spoken[:kept]
    return np.clip(output, -1.0, 1.0)


def shift_pitch(samples: np.ndarray, sample_rate: int, semitones: float, settings: WorldSettings | None = None) -> np.ndarray:
    """``samples`` (mono float) with the pitch moved by ``semitones``; same length, float32 in [-1, 1].

    ``semitones == 0`` returns ``samples`` itself, untouched (no resynthesis). A clip too short to
    analyse (under two analysis frames) is returned unchanged too.
    """
    check_semitones(semitones)
    if semitones == 0:
        return samples
    settings = settings or WorldSettings()
    analysis = analyse(samples, sample_rate, settings)
    if analysis is None:
        return samples
    # Unvoiced frames have F0 = 0 and stay unvoiced.
    return resynthesise(analysis, analysis.f0_hz * 2.0 ** (semitones / 12.0), sample_rate, settings)
