"""Evaluation metrics on signals whose right answer is known: identity, distortion, delay, pitch shift,
voicing halves, time stretch; the mel-cepstrum against the envelope it encodes; the summaries."""

from __future__ import annotations

import math

import numpy as np
import pytest

from polyvox.audio.io import load_audio
from polyvox.evaluation.aggregate import summarize
from polyvox.evaluation.alignment import AlignmentPath
from polyvox.evaluation.analysis import SpeechAnalyzer, SpeechFeatures
from polyvox.evaluation.distortion import mel_cepstral_distortion
from polyvox.evaluation.mel_cepstrum import MelCepstrumAnalysis, all_pass_alpha, frequency_warping_matrix
from polyvox.evaluation.pitch import pitch_scores
from polyvox.evaluation.scores import score

RATE = 22050


@pytest.fixture(scope="module")
def analyzer() -> SpeechAnalyzer:
    return SpeechAnalyzer(RATE)


@pytest.fixture(scope="module")
def speech(small_corpus) -> np.ndarray:
    """An espeak-ng English sentence."""
    from polyvox.data.manifest import read_manifest

    _, report = small_corpus
    first = next(u for u in read_manifest(report.manifest) if u.language == "en")
    return load_audio(first.audio, RATE)


def tone(frequency: float, seconds: float, harmonics: int = 1) -> np.ndarray:
    time = np.arange(int(seconds * RATE)) / RATE
    wave = sum(np.sin(2 * np.pi * frequency * k * time) / k for k in range(1, harmonics + 1))
    return (0.3 * wave).astype(np.float32)


def diagonal(frames: int) -> AlignmentPath:
    return AlignmentPath(np.arange(frames), np.arange(frames))


def test_mcd_is_zero_against_itself_and_grows_with_distortion(analyzer, speech):
    reference = analyzer.analyze(speech)
    assert score(reference, reference).mcd_db == 0.0
    rng = np.random.default_rng(0)
    noise = rng.standard_normal(speech.size).astype(np.float32) * np.sqrt(np.mean(speech**2))
    distortions = [score(reference, analyzer.analyze(speech + noise * 10 ** (-snr / 20))).mcd_db for snr in (30, 20, 10)]
    assert 0.0 < distortions[0] < distortions[1] < distortions[2]


def test_dtw_absorbs_a_delay(analyzer, speech):
    reference = analyzer.analyze(speech)
    # A pure delay (leading silence) changes nothing: it is trimmed, so scores are those of the clip itself.
    delayed = np.concatenate([np.zeros(RATE // 3, dtype=np.float32), speech])
    scores = score(reference, analyzer.analyze(delayed))
    assert scores.mcd_db == 0.0 and scores.duration_ratio == 1.0
    # A delay inside the clip (the first frame held 20 frames longer) costs nothing after DTW,
    # while comparing frame by frame without alignment does.
    held = 20
    cepstra = reference.mel_cepstrum
    shifted = np.concatenate([np.repeat(cepstra[:1], held, axis=0), cepstra])
    f0 = np.concatenate([np.repeat(reference.f0_hz[:1], held), reference.f0_hz])
    late = SpeechFeatures(shifted, f0, reference.duration_s)
    assert score(reference, late).mcd_db == pytest.approx(0.0, abs=1e-9)
    unaligned = mel_cepstral_distortion(cepstra, shifted[: len(cepstra)], diagonal(len(cepstra)))
    assert unaligned > 1.0


def test_f0_rmse_of_a_tone_shifted_by_known_cents(analyzer):
    shift_cents = 100.0
    low = analyzer.analyze(tone(220.0, 1.0))
    high = analyzer.analyze(tone(220.0 * 2 ** (shift_cents / 1200), 1.0))
    scores = score(low, high)
    assert scores.voiced_pairs > 100
    assert scores.f0_rmse_cents == pytest.approx(shift_cents, rel=0.05)
    assert scores.f0_rmse_hz == pytest.approx(220.0 * (2 ** (shift_cents / 1200) - 1), rel=0.1)
    assert scores.voicing_error < 0.05


def test_voicing_error_with_known_voiced_and_unvoiced_halves(analyzer):
    rng = np.random.default_rng(1)
    noise = (0.1 * rng.standard_normal(RATE)).astype(np.float32)
    voiced_first = analyzer.analyze(np.concatenate([tone(150.0, 1.0, harmonics=5), noise]))
    half = len(voiced_first.f0_hz) // 2
    assert voiced_first.voiced[: half - 5].mean() > 0.95 and voiced_first.voiced[half + 5 :].mean() < 0.05
    voiced_after = analyzer.analyze(np.concatenate([noise, tone(150.0, 1.0, harmonics=5)]))
    always_voiced = analyzer.analyze(tone(150.0, 2.0, harmonics=5))
    frames = min(len(voiced_first.f0_hz), len(voiced_after.f0_hz), len(always_voiced.f0_hz))
    path = diagonal(frames)
    assert pitch_scores(voiced_first.f0_hz, voiced_first.f0_hz, path).voicing_error == 0.0
    assert pitch_scores(voiced_first.f0_hz, voiced_after.f0_hz, path).voicing_error > 0.95
    assert pitch_scores(voiced_first.f0_hz, always_voiced.f0_hz, path).voicing_error == pytest.approx(0.5, abs=0.03)


def test_duration_ratio_of_a_time_stretched_signal(analyzer):
    def phrase(stretch: float, lead_s: float, tail_s: float) -> np.ndarray:
        parts = [np.zeros(int(lead_s * RATE), dtype=np.float32)]
        parts += [tone(f, 0.3 * stretch, harmonics=4) for f in (120.0, 180.0, 150.0)]
        parts.append(np.zeros(int(tail_s * RATE), dtype=np.float32))
        return np.concatenate(parts)

    reference = analyzer.analyze(phrase(1.0, 0.2, 0.1))
    assert score(reference, analyzer.analyze(phrase(1.5, 0.05, 0.4))).duration_ratio == pytest.approx(1.5, abs=0.01)
    assert score(reference, analyzer.analyze(phrase(0.8, 0.3, 0.0))).duration_ratio == pytest.approx(0.8, abs=0.01)


def test_mel_cepstrum_encodes_the_envelope_on_the_warped_axis():
    bins = 513
    omega = np.linspace(0.0, np.pi, bins)
    log_magnitude = 1.0 + 0.8 * np.cos(3 * omega) - 0.5 * omega + 0.3 * np.sin(7 * omega) ** 2
    power = np.exp(2 * log_magnitude)[None]
    for alpha in (0.0, all_pass_alpha(RATE)):
        order = 120
        cepstrum = MelCepstrumAnalysis(alpha, order, frequency_warping_matrix(alpha, order, bins))(power)[0]
        warped = omega + 2 * np.arctan(alpha * np.sin(omega) / (1 - alpha * np.cos(omega)))
        rebuilt = cepstrum[0] + np.cos(np.outer(warped, np.arange(1, order + 1))) @ cepstrum[1:]
        assert np.max(np.abs(rebuilt - log_magnitude)) < 0.02


def test_all_pass_constant_approximates_the_mel_scale_more_at_higher_rates():
    alphas = [all_pass_alpha(rate) for rate in (8000, 16000, 22050, 48000)]
    assert alphas == sorted(alphas) and 0.3 < alphas[0] and alphas[-1] < 0.6


def test_summary_statistics():
    summary = summarize([1.0, 2.0, 3.0, 10.0, math.nan])
    assert summary.count == 4 and summary.mean == 4.0 and summary.median == 2.5
    assert summary.interval_low < summary.mean < summary.interval_high
    draws = np.random.default_rng(2).normal(5.0, 1.0, 400)
    few, many = summarize(draws[:10]), summarize(draws)
    assert many.interval_high - many.interval_low < (few.interval_high - few.interval_low) / 3
    assert many.interval_low < 5.0 < many.interval_high
    single = summarize([5.0]).to_dict()
    assert single["mean"] == 5.0 and single["ci95_low"] is None
    assert summarize([math.nan]).count == 0


def _gliding_voice(rate: int, seconds: float, f0_hz: float, swing_hz: float, glide_hz: float) -> np.ndarray:
    """A sawtooth-like voice (39 harmonics, none above Nyquist) whose pitch glides around ``f0_hz`` by ``swing_hz``."""
    time = np.arange(int(seconds * rate)) / rate
    f0 = f0_hz + swing_hz * np.sin(2 * np.pi * glide_hz * time)
    phase = 2 * np.pi * np.cumsum(f0) / rate
    return sum(np.sin(k * phase) / k * (k * f0 < rate / 2) for k in range(1, 40))


def test_frame_rate_buzz_finds_a_comb_at_the_frame_rate_and_not_in_speech_like_audio():
    from polyvox.evaluation.buzz import frame_rate_buzz

    rate = 22050
    voiced = _gliding_voice(rate, 2.0, 180, 40, 1.5)
    clean = frame_rate_buzz(voiced, rate)
    # A click every hop (256 samples): what a decoder that repeats itself every frame adds.
    clicks = np.zeros_like(voiced)
    clicks[::256] = 1.0
    clicks = np.convolve(clicks, np.hanning(15), mode="same")
    buzzing = frame_rate_buzz(voiced + 0.5 * clicks * np.std(voiced) / np.std(clicks), rate)
    assert clean < 0.05
    assert buzzing > 0.2
    # At 44.1 kHz with hop 512 the frame rate is the same 86 Hz: clicks every 512 samples are found there.
    doubled, doubled_clicks = np.repeat(voiced, 2), np.zeros(2 * voiced.size)
    doubled_clicks[::512] = 1.0
    doubled_clicks = np.convolve(doubled_clicks, np.hanning(29), mode="same")
    assert frame_rate_buzz(doubled, 2 * rate) < 0.05
    assert frame_rate_buzz(doubled + 0.5 * doubled_clicks * np.std(doubled) / np.std(doubled_clicks), 2 * rate) > 0.2
    assert frame_rate_buzz(np.zeros(100), rate) == 0.0


def test_steady_lines_stand_out_of_speech_like_audio_and_a_moving_pitch_does_not():
    from polyvox.evaluation.buzz import frame_rate_lines_db, steady_lines_db

    rate = 22050
    voiced = _gliding_voice(rate, 3.0, 150, 50, 0.7)
    voiced = voiced + 0.05 * np.random.default_rng(0).standard_normal(voiced.size)
    time = np.arange(voiced.size) / rate
    line = 0.1 * np.std(voiced) * np.sin(2 * np.pi * (rate / 16) * time)  # 20 dB below the voice
    clean, lined = steady_lines_db(voiced, rate, [rate / 16, rate / 8]), steady_lines_db(voiced + line, rate, [rate / 16, rate / 8])
    assert np.all(np.abs(clean) < 3)
    assert lined[0] > 10 and lined[1] < 3  # only where the line is
    assert np.all(steady_lines_db(np.zeros(rate), rate, [1000.0]) == 0.0)
    # A click every hop of 256 samples: lines at every multiple of 86 Hz.
    clicks = np.zeros_like(voiced)
    clicks[::256] = 1.0
    assert frame_rate_lines_db(voiced, rate) < 2
    assert frame_rate_lines_db(voiced + 0.3 * clicks * np.std(voiced) / np.std(clicks), rate) > 8
