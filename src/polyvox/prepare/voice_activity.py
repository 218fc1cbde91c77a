"""Where a recording speaks: webrtcvad decisions per 30 ms frame, the frames' energies, speech
regions separated by pauses, and the signal-to-noise ratio of any stretch."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from polyvox.audio.block_resample import resampled_blocks
from polyvox.prepare.signal_file import Samples

# webrtcvad takes 16-bit mono PCM at 8, 16, 32 or 48 kHz in frames of 10, 20 or 30 ms.
VAD_RATE = 16000
FRAME_S = 0.03
# Energy is measured on finer frames: short gaps inside speech (stop closures) then show the noise floor.
ENERGY_FRAMES_PER_FRAME = 3
# Samples of the signal resampled and judged at a time (about 48 s at 22,050 Hz).
BLOCK_SAMPLES = 1 << 20
# Fewer pause frames than this (0.3 s) are too few to measure the noise floor from pauses.
MIN_NOISE_SECONDS = 0.3
# Without enough pauses, the noise floor is this percentile of the fine frames' energies.
NOISE_PERCENTILE = 2
# SNR reported for a stretch with no measurable noise (digital silence in the pauses).
MAX_SNR_DB = 100.0
_TINY = 1e-12


@dataclass(frozen=True)
class Span:
    start_s: float
    end_s: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True)
class VoiceActivity:
    """Speech decisions per ``FRAME_S`` frame and mean squared amplitudes per third of a frame."""

    speech: np.ndarray  # bool, (frames,)
    energy: np.ndarray  # float64, (frames * ENERGY_FRAMES_PER_FRAME,)
    duration_s: float

    def frame_of(self, seconds: float) -> int:
        return int(np.clip(round(seconds / FRAME_S), 0, self.speech.size))

    def frame_energy(self) -> np.ndarray:
        """Mean squared amplitude per ``FRAME_S`` frame."""
        return self.energy.reshape(-1, ENERGY_FRAMES_PER_FRAME).mean(axis=1)

    def noise_power(self) -> float:
        pauses = self.energy[~np.repeat(self.speech, ENERGY_FRAMES_PER_FRAME)]
        if pauses.size * FRAME_S / ENERGY_FRAMES_PER_FRAME >= MIN_NOISE_SECONDS:
            return float(np.median(pauses))
        return float(np.percentile(self.energy, NOISE_PERCENTILE)) if self.energy.size else 0.0

    def snr_db(self, span: Span) -> float:
        """Speech power over the recording's noise floor in ``span``, in dB (speech frames only)."""
        first, last = self.frame_of(span.start_s), max(self.frame_of(span.end_s), self.frame_of(span.start_s) + 1)
        fine = slice(first * ENERGY_FRAMES_PER_FRAME, last * ENERGY_FRAMES_PER_FRAME)
        frames = self.energy[fine][np.repeat(self.speech[first:last], ENERGY_FRAMES_PER_FRAME)]
        if frames.size == 0:
            frames = self.energy[fine]
        noise = self.noise_power()
        signal = float(frames.mean()) - noise if frames.size else 0.0
        if noise <= _TINY:
            return MAX_SNR_DB
        return float(np.clip(10 * np.log10(max(signal, _TINY) / noise), -MAX_SNR_DB, MAX_SNR_DB))


def detect_voice_activity(samples: Samples, rate: int, aggressiveness: int) -> VoiceActivity:
    """Decisions and energies of ``samples`` (an array or a ``SignalFile``), read ``BLOCK_SAMPLES`` at a time."""
    import webrtcvad

    vad = webrtcvad.Vad(aggressiveness)
    frame = int(VAD_RATE * FRAME_S)
    speech, energy = [np.zeros(0, dtype=bool)], [np.zeros(0)]
    pending = np.zeros(0, dtype=np.float32)  # the end of a block that does not fill a frame
    blocks = (samples[start : start + BLOCK_SAMPLES] for start in range(0, samples.size, BLOCK_SAMPLES))
    for pcm in resampled_blocks(blocks, rate, VAD_RATE):
        pending = np.concatenate([pending, np.clip(pcm, -1.0, 1.0)])
        count = pending.size // frame
        frames = pending[: count * frame].reshape(count, frame)
        as_int16 = (frames * 32767).astype(np.int16)
        speech.append(np.fromiter((vad.is_speech(row.tobytes(), VAD_RATE) for row in as_int16), dtype=bool, count=count))
        # Explicit width: a block shorter than one frame gives zero rows, which "-1" cannot infer.
        fine = frames.reshape(count * ENERGY_FRAMES_PER_FRAME, frame // ENERGY_FRAMES_PER_FRAME).astype(np.float64)
        energy.append(np.mean(fine**2, axis=1))
        pending = pending[count * frame :]
    return VoiceActivity(np.concatenate(speech), np.concatenate(energy), samples.size / rate)


def runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """``(first, end)`` frame indices of each run of True."""
    changes = np.flatnonzero(np.diff(np.concatenate([[0], flags.astype(np.int8), [0]])))
    return [(int(first), int(end)) for first, end in zip(changes[::2], changes[1::2])]


def speech_regions(activity: VoiceActivity, min_pause_s: float, min_speech_s: float) -> list[Span]:
    """Speech between pauses of at least ``min_pause_s``; isolated bursts shorter than ``min_speech_s`` are dropped."""
    flags = activity.speech.copy()
    min_pause = max(1, int(round(min_pause_s / FRAME_S)))
    for first, end in runs(~flags):
        if end - first < min_pause and first > 0 and end < flags.size:
            flags[first:end] = True
    min_speech = max(1, int(round(min_speech_s / FRAME_S)))
    return [Span(first * FRAME_S, end * FRAME_S) for first, end in runs(flags) if end - first >= min_speech]
