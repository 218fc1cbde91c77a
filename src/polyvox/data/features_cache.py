"""Compute waveform and mel spectrogram once per clip and keep them on disk, so an epoch never decodes audio."""

from __future__ import annotations

import hashlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from polyvox.audio.features import MelSpectrogram
from polyvox.audio.io import AudioError, load_audio
from polyvox.config import AudioConfig
from polyvox.data.manifest import Utterance
from polyvox.files import atomic_path

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SkippedClip:
    audio: str
    reason: str


class FeatureCache:
    """One ``.npz`` per clip, keyed by the file's path, size, modification time and the audio config."""

    def __init__(self, cache_dir: str | Path, audio_config: AudioConfig) -> None:
        self.cache_dir = Path(cache_dir)
        self.audio_config = audio_config
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self._mel = MelSpectrogram(audio_config)

    def path_for(self, utterance: Utterance) -> Path:
        stat = os.stat(utterance.audio)
        identity = f"{Path(utterance.audio).resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{self.audio_config}"
        return self.cache_dir / f"{hashlib.sha1(identity.encode()).hexdigest()}.npz"

    def ensure(self, utterances: list[Utterance], progress: bool = True) -> tuple[list[Utterance], list[SkippedClip]]:
        """Compute features for every clip not cached yet; returns the usable clips and the skipped ones."""
        usable: list[Utterance] = []
        skipped: list[SkippedClip] = []
        for utterance in tqdm(utterances, desc="features", unit="clip", disable=not progress):
            try:
                target = self.path_for(utterance)
                if not target.exists():
                    self._compute(utterance, target)
            except (AudioError, OSError) as error:
                skipped.append(SkippedClip(utterance.audio, str(error)))
                continue
            usable.append(utterance)
        if skipped:
            logger.warning("skipped %d clip(s) whose audio could not be used; first: %s", len(skipped), skipped[0])
        return usable, skipped

    def _compute(self, utterance: Utterance, target: Path) -> None:
        samples = load_audio(utterance.audio, self.audio_config.sample_rate)
        samples = np.clip(samples, -1.0, 1.0)
        frames = len(samples) // self.audio_config.hop_length
        if frames < 1:
            raise AudioError(f"{utterance.audio}: shorter than one frame ({len(samples)} samples)")
        samples = samples[: frames * self.audio_config.hop_length]
        with torch.no_grad():
            mel = self._mel(torch.from_numpy(samples).unsqueeze(0))[0].numpy()
        with atomic_path(target) as temporary, open(temporary, "wb") as stream:
            np.savez(stream, waveform=(samples * 32767).astype(np.int16), mel=mel.astype(np.float32))

    def load(self, utterance: Utterance) -> tuple[torch.Tensor, torch.Tensor]:
        """(waveform (samples,) float32, mel (n_mels, frames) float32)."""
        with np.load(self.path_for(utterance)) as data:
            waveform = torch.from_numpy(data["waveform"].astype(np.float32) / 32767.0)
            mel = torch.from_numpy(data["mel"])
        return waveform, mel
