"""Pitch shift: the pitch moves by the semitones asked, the duration and the formants stay."""

from __future__ import annotations

import numpy as np
import pytest
import soxr
from scipy.signal import lfilter

from polyvox.audio.pitch import MAX_SEMITONES, PitchError, shift_pitch

RATE = 22050
F0_HZ = 140.0
FORMANTS_HZ = ((700.0, 90.0), (1200.0, 110.0), (2600.0, 160.0))  # (centre, bandwidth) of an /a/
VOWEL_START_S, VOWEL_END_S, TOTAL_S = 0.2, 0.9, 1.1


def vowel() -> np.ndarray:
    """Source-filter /a/: a pulse train at F0_HZ through three formant resonators, with silence around it."""
    samples = np.zeros(int(TOTAL_S * RATE))
    pulses = np.arange(VOWEL_START_S * RATE, VOWEL_END_S * RATE, RATE / F0_HZ).astype(int)
    samples[pulses] = 1.0
    for centre, bandwidth in FORMANTS_HZ:
        radius = np.exp(-np.pi * bandwidth / RATE)
        angle = 2 * np.pi * centre / RATE
        samples = lfilter([1.0 - radius], [1.0, -2 * radius * np.cos(angle), radius**2], samples)
    return (0.5 * samples / np.max(np.abs(samples))).astype(np.float32)


def voiced_part(samples: np.ndarray) -> np.ndarray:
    """The middle of the vowel, clear of its onset and end."""
    return samples[int((VOWEL_START_S + 0.1) * RATE) : int((VOWEL_END_S - 0.1) * RATE)]


def autocorrelation_f0(samples: np.ndarray) -> float:
    """F0 of a steady voiced stretch: the strongest autocorrelation lag between 60 and 500 Hz."""
    centred = samples - samples.mean()
    correlation = np.correlate(centred, centred, mode="full")[centred.size - 1 :]
    shortest, longest = int(RATE / 500), int(RATE / 60)
    lag = shortest + int(np.argmax(correlation[shortest:longest]))
    return RATE / lag


def envelope_db(samples: np.ndarray) -> np.ndarray:
    """Spectral envelope (dB, 0-4 kHz) of a voiced stretch: frame spectra averaged, then cepstrally smoothed."""
    frame, hop = 1024, 256
    window = np.hanning(frame)
    spectra = [np.abs(np.fft.rfft(samples[start : start + frame] * window)) for start in range(0, samples.size - frame, hop)]
    log_spectrum = np.log(np.mean(spectra, axis=0) + 1e-9)
    cepstrum = np.fft.irfft(log_spectrum)
    keep = int(0.002 * RATE)  # quefrencies under 2 ms: the envelope, not the harmonics (F0 period >= 5 ms)
    cepstrum[keep:-keep] = 0.0
    smooth = np.fft.rfft(cepstrum).real[: log_spectrum.size]
    top_bin = int(4000 / (RATE / frame))
    decibels = 20 / np.log(10) * smooth[:top_bin]
    return decibels - decibels.mean()  # level-independent: only the shape (formants) counts


def active_span_s(samples: np.ndarray) -> tuple[float, float]:
    """First and last 10 ms frame whose RMS is within 30 dB of the loudest."""
    frame = int(0.01 * RATE)
    rms = np.sqrt(np.mean(samples[: samples.size // frame * frame].reshape(-1, frame) ** 2, axis=1))
    active = np.flatnonzero(rms > rms.max() * 10 ** (-30 / 20))
    return active[0] * 0.01, (active[-1] + 1) * 0.01


@pytest.mark.parametrize("semitones", [-5.0, 4.0])
def test_pitch_moves_by_the_semitones_and_keeps_duration_and_formants(semitones):
    original = vowel()
    shifted = shift_pitch(original, RATE, semitones)

    assert shifted.dtype == np.float32 and shifted.size == original.size
    assert np.max(np.abs(shifted)) <= 1.0
    start, end = active_span_s(shifted)
    assert abs(start - VOWEL_START_S) <= 0.03 and abs(end - VOWEL_END_S) <= 0.03

    measured_semitones = 12 * np.log2(autocorrelation_f0(voiced_part(shifted)) / autocorrelation_f0(voiced_part(original)))
    assert measured_semitones == pytest.approx(semitones, abs=0.3)

    # A naive shift (resampling: the same samples played faster or slower) moves the formants too.
    naive = soxr.resample(original, RATE * 2 ** (semitones / 12), RATE)
    naive_voiced = naive[int((VOWEL_START_S + 0.1) * RATE * 2 ** (-semitones / 12)) :][: voiced_part(original).size // 2]
    reference = envelope_db(voiced_part(original))
    world_distance = np.sqrt(np.mean((envelope_db(voiced_part(shifted)) - reference) ** 2))
    naive_distance = np.sqrt(np.mean((envelope_db(naive_voiced) - reference) ** 2))
    assert world_distance < 4.5  # dB; WORLD's resynthesis alone accounts for about 3
    assert world_distance < naive_distance / 2


def test_zero_returns_the_input_itself():
    original = vowel()
    assert shift_pitch(original, RATE, 0.0) is original


@pytest.mark.parametrize("semitones", [MAX_SEMITONES + 1, -(MAX_SEMITONES + 1), float("nan")])
def test_out_of_range_shifts_are_refused(semitones):
    with pytest.raises(PitchError, match="semitones"):
        shift_pitch(vowel(), RATE, semitones)


def test_a_clip_too_short_to_analyse_is_left_as_is():
    short = vowel()[:100]
    assert np.array_equal(shift_pitch(short, RATE, 3.0), short)


def test_f0_is_tracked_every_millisecond_and_the_envelope_interpolated_between_its_own_frames():
    """F0 at 1 ms frames (resynthesis at WORLD's usual 5 ms cost Piper's joe 0.54 of DNSMOS OVRL, at 1 ms 0.20:
    benchmarks/pitch_quality.py); the envelope, costlier and slower to change, every 5 ms, interpolated in log power."""
    import pyworld

    from polyvox.audio.pitch import WorldSettings, analyse

    settings = WorldSettings()
    analysis = analyse(vowel(), RATE, settings)
    assert np.diff(analysis.times_s) == pytest.approx(settings.frame_period_ms / 1000)
    assert analysis.f0_hz.shape[0] == analysis.envelope.shape[0] == analysis.aperiodicity.shape[0]
    step = round(settings.envelope_period_ms / settings.frame_period_ms)
    coarse_f0, coarse_times = np.ascontiguousarray(analysis.f0_hz[::step]), np.ascontiguousarray(analysis.times_s[::step])
    fft_size = pyworld.get_cheaptrick_fft_size(RATE, settings.f0_floor_hz)
    direct = pyworld.cheaptrick(analysis.signal, coarse_f0, coarse_times, RATE, f0_floor=settings.f0_floor_hz, fft_size=fft_size)
    np.testing.assert_allclose(analysis.envelope[::step], direct, rtol=1e-9)
    between = np.log(analysis.envelope[step // 2 :: step][: direct.shape[0] - 1])
    low, high = np.minimum(np.log(direct[:-1]), np.log(direct[1:])), np.maximum(np.log(direct[:-1]), np.log(direct[1:]))
    assert ((between >= low - 1e-9) & (between <= high + 1e-9)).all()
