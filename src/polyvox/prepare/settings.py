"""Settings of a preparation run: how audio is processed (part of the cache key) and how clips are judged."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Literal

from polyvox.prepare.errors import PrepareError

FlaggedPolicy = Literal["drop", "keep"]


@dataclass(frozen=True)
class AudioSettings:
    """Per-recording processing. Changing any field re-processes the recordings on the next run."""

    sample_rate: int = 22050
    # Integrated loudness every recording is brought to (EBU R128 programme level); None leaves the level alone.
    target_lufs: float | None = -23.0
    # Spectral-gating noise reduction: off by default because it can leave "musical" artefacts on clean speech.
    denoise: bool = False
    trim_silence: bool = True
    # Silence kept before and after the speech of each clip.
    keep_silence_s: float = 0.1
    # webrtcvad aggressiveness: 0 (keeps most as speech) to 3 (strictest).
    vad_aggressiveness: int = 2
    # A pause at least this long separates two pieces of a long recording.
    min_pause_s: float = 0.4
    # Speech shorter than this, alone between pauses, is treated as a click or breath, not speech.
    min_speech_s: float = 0.15
    # Clip length range; recordings longer than max_clip_s are sliced at pauses.
    min_clip_s: float = 0.5
    max_clip_s: float = 15.0

    def validate(self) -> None:
        problems = []
        if self.sample_rate < 8000:
            problems.append(f"sample rate must be at least 8000 Hz, got {self.sample_rate}")
        if self.target_lufs is not None and not -70.0 <= self.target_lufs <= 0.0:
            problems.append(f"target loudness must be between -70 and 0 LUFS, got {self.target_lufs}")
        if self.vad_aggressiveness not in (0, 1, 2, 3):
            problems.append(f"VAD aggressiveness must be 0, 1, 2 or 3, got {self.vad_aggressiveness}")
        if not 0.0 <= self.keep_silence_s <= 1.0:
            problems.append(f"kept silence must be between 0 and 1 s, got {self.keep_silence_s}")
        if self.min_pause_s <= 0.0 or self.min_speech_s <= 0.0:
            problems.append("minimum pause and minimum speech must be positive")
        if not 0.0 < self.min_clip_s < self.max_clip_s:
            problems.append(f"clip length range must satisfy 0 < min ({self.min_clip_s}) < max ({self.max_clip_s})")
        if problems:
            raise PrepareError("; ".join(problems))

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class CheckSettings:
    """Thresholds of the checks run on the finished clips (cheap; re-run every time)."""

    # Robust z-score (median and MAD of the speaker's clips in that language) beyond which a speaking rate is an outlier.
    rate_outlier_z: float = 3.5
    # Fewer clips than this in a speaker/language group: only the absolute phoneme-rate bounds apply.
    rate_min_group: int = 5
    min_snr_db: float = 15.0
    # Share of samples at full scale in the original recording above which a clip counts as clipped.
    max_clipped_fraction: float = 0.001
    # Two clips whose loudness envelopes correlate above this (and have nearly equal lengths) are duplicates.
    duplicate_correlation: float = 0.97

    def validate(self) -> None:
        if self.rate_outlier_z <= 0 or self.rate_min_group < 2:
            raise PrepareError("rate outlier z must be positive and the minimum group at least 2 clips")
        if not 0.0 <= self.max_clipped_fraction < 1.0 or not 0.0 < self.duplicate_correlation <= 1.0:
            raise PrepareError("clipped fraction must be in [0, 1) and duplicate correlation in (0, 1]")


@dataclass(frozen=True)
class PrepareSettings:
    audio: AudioSettings = field(default_factory=AudioSettings)
    checks: CheckSettings = field(default_factory=CheckSettings)
    # Flagged clips are left out of the manifest (drop) or kept (keep); the report lists them either way.
    flagged: FlaggedPolicy = "drop"
    # The model's shortest usable clip (from the voice); clips below it are always dropped.
    model_minimum_s: float = 0.0
    workers: int = 2
    # A worker process spends about a second of CPU importing before its first recording, while a
    # minute of audio takes a fraction of that: below this much audio one process finishes first.
    parallel_min_audio_s: float = 600.0

    def validate(self) -> None:
        self.audio.validate()
        self.checks.validate()
        if self.flagged not in ("drop", "keep"):
            raise PrepareError(f"flagged clips must be 'drop' or 'keep', got {self.flagged!r}")
        if self.workers < 1:
            raise PrepareError(f"workers must be at least 1, got {self.workers}")
        if self.model_minimum_s >= self.audio.max_clip_s:
            raise PrepareError(
                f"the model needs clips of at least {self.model_minimum_s:.2f} s, above the maximum clip length "
                f"{self.audio.max_clip_s} s; raise the maximum"
            )

    @property
    def min_clip_s(self) -> float:
        """The shortest clip kept: the configured minimum, never below the model's minimum."""
        return max(self.audio.min_clip_s, self.model_minimum_s)
