"""WORLD analysis of one clip: F0 (DIO refined by StoneMask), spectral envelope (CheapTrick) -> mel-cepstrum.

Silence at both ends is trimmed first, so leading or trailing pauses count neither in the duration
nor in the frame-level metrics. pyworld is imported here, when a clip is first analysed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from polyvox.audio.pitch import WorldSettings, track_pitch
from polyvox.data.corpus.silence import trim_silence
from polyvox.evaluation.buzz import DEFAULT_FRAME_RATE_HZ, frame_rate_buzz
from polyvox.evaluation.mel_cepstrum import MelCepstrumAnalysis


@dataclass(frozen=True)
class AnalysisSettings:
    """How clips are analysed; the defaults are the usual ones of TTS evaluations."""

    frame_period_ms: float = 5.0
    f0_floor_hz: float = 40.0
    f0_ceil_hz: float = 800.0
    # Ends quieter than this (dB below the clip's peak) are trimmed as silence.
    silence_threshold_db: float = -40.0
    # Frame rate of the voices under test (their sample rate / hop), where frame-rate buzz is looked for.
    frame_rate_hz: float = DEFAULT_FRAME_RATE_HZ

    def pitch_tracking(self) -> WorldSettings:
        """These settings as ``polyvox.audio.pitch.track_pitch`` takes them."""
        return WorldSettings(frame_period_ms=self.frame_period_ms, f0_floor_hz=self.f0_floor_hz, f0_ceil_hz=self.f0_ceil_hz)


@dataclass(frozen=True)
class SpeechFeatures:
    """Frame-level features of one trimmed clip; frame ``t`` is centred at ``t * frame_period``."""

    mel_cepstrum: np.ndarray  # (frames, order + 1), c0 first
    f0_hz: np.ndarray  # (frames,), 0 where unvoiced
    duration_s: float  # after trimming silence at both ends
    frame_buzz: float = 0.0  # cepstral peak at one frame of the voice (evaluation/buzz.py)

    @property
    def voiced(self) -> np.ndarray:
        return self.f0_hz > 0


class SpeechAnalyzer:
    """Analyses clips at one sample rate with fixed settings (the mel-cepstrum warping is built once)."""

    def __init__(self, sample_rate: int, settings: AnalysisSettings | None = None) -> None:
        import pyworld

        self.sample_rate = sample_rate
        self.settings = settings or AnalysisSettings()
        self.fft_size = int(pyworld.get_cheaptrick_fft_size(sample_rate))
        self.mel_cepstrum = MelCepstrumAnalysis.for_sample_rate(sample_rate, self.fft_size)

    def describe(self) -> dict[str, float | int | str]:
        """The settings a report states beside its figures."""
        return {
            "sample_rate": self.sample_rate,
            "frame_period_ms": self.settings.frame_period_ms,
            "f0_estimator": "WORLD DIO + StoneMask",
            "f0_range_hz": f"{self.settings.f0_floor_hz:g}-{self.settings.f0_ceil_hz:g}",
            "spectral_envelope": f"WORLD CheapTrick, FFT size {self.fft_size}",
            "mel_cepstrum_order": self.mel_cepstrum.order,
            "all_pass_alpha": self.mel_cepstrum.alpha,
            "silence_threshold_db": self.settings.silence_threshold_db,
            "frame_buzz_at_hz": round(self.settings.frame_rate_hz, 2),
        }

    def analyze(self, samples: np.ndarray) -> SpeechFeatures:
        """Features of mono ``samples`` at this analyzer's sample rate."""
        import pyworld

        settings = self.settings
        trimmed, _ = trim_silence(np.asarray(samples, dtype=np.float32), self.sample_rate, keep_seconds=0.0,
                                  threshold_db=settings.silence_threshold_db)
        signal = np.ascontiguousarray(trimmed, dtype=np.float64)
        # DIO + StoneMask, as ESPnet's evaluation does (Harvest is slower and calls pure tones unvoiced).
        f0, times = track_pitch(signal, self.sample_rate, settings.pitch_tracking())
        envelope = pyworld.cheaptrick(signal, f0, times, self.sample_rate, fft_size=self.fft_size)
        return SpeechFeatures(
            mel_cepstrum=self.mel_cepstrum(envelope),
            f0_hz=f0,
            duration_s=trimmed.size / self.sample_rate,
            frame_buzz=frame_rate_buzz(signal, self.sample_rate, settings.frame_rate_hz),
        )
