"""Compute waveform and mel spectrogram once per clip and keep them on disk, so an epoch never decodes audio."""

from __future__ import annotations

import hashlib
import logging
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from polyvox.audio.features import MelSpectrogram
from polyvox.audio.io import AudioError, load_audio
from polyvox.config import AudioConfig
from polyvox.data.data_report import EMPTY, MISSING_FILE, SILENT, TOO_LONG, UNREADABLE, SkippedClip
from polyvox.data.manifest import Utterance
from polyvox.files import atomic_path

logger = logging.getLogger(__name__)

# Below this RMS (samples in [-1, 1]; about -80 dBFS) a clip is silent unless the caller says otherwise.
DEFAULT_SILENCE_RMS = 1e-4


# Clips a worker process caches per task: large enough that sending the task costs little.
WORKER_CHUNK = 64
# (cache folder, audio settings, silence RMS, longest clip, root): a FeatureCache's arguments, for worker processes.
CacheSettings = tuple[str, AudioConfig, float, "float | None", "Path | None"]


class ClipRejected(Exception):
    """A clip whose audio cannot be trained on; ``reason`` is one of the data report's reasons."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


class FeatureCache:
    """One ``.npz`` per clip, keyed by the file's path, size, modification time and the audio config.

    Clips are checked when their features are computed (a clip that fails is never cached, so it is
    checked again on the next run): missing, unreadable, truncated, empty and silent audio is rejected;
    another sample rate is resampled and several channels are down-mixed (see ``load_audio``).
    """

    def __init__(
        self, cache_dir: str | Path, audio_config: AudioConfig, silence_rms: float = DEFAULT_SILENCE_RMS,
        max_clip_s: float | None = None, root: str | Path | None = None,
    ) -> None:
        self.cache_dir = Path(cache_dir)
        self.audio_config = audio_config
        self.silence_rms = silence_rms
        self.max_clip_s = max_clip_s  # None: no limit
        # Clips under ``root`` (the manifest's folder) are keyed by their path relative to it, so caches built
        # on machines that hold the dataset in other folders (copied with its timestamps) merge by copying.
        self.root = Path(root).resolve() if root is not None else None
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        self._mel = MelSpectrogram(audio_config)

    def path_for(self, utterance: Utterance) -> Path:
        stat = os.stat(utterance.audio)
        audio = Path(utterance.audio).resolve()
        place = audio.relative_to(self.root).as_posix() if self.root is not None and audio.is_relative_to(self.root) else str(audio)
        return self._key_path(place, stat)

    def _cached_path(self, utterance: Utterance) -> Path:
        """``path_for``, with a file cached before keys were relative renamed to it (not computed again). Only the
        caching pass looks for such files: loading, once per clip and step, reads the key alone."""
        target = self.path_for(utterance)
        if not target.exists():
            absolute = self._key_path(str(Path(utterance.audio).resolve()), os.stat(utterance.audio))
            if absolute != target and absolute.exists():
                os.replace(absolute, target)
        return target

    def _key_path(self, place: str, stat: os.stat_result) -> Path:
        identity = f"{place}|{stat.st_size}|{stat.st_mtime_ns}|{self.audio_config}"
        return self.cache_dir / f"{hashlib.sha1(identity.encode()).hexdigest()}.npz"

    def ensure(
        self, utterances: list[Utterance], progress: bool = True, workers: int = 1
    ) -> tuple[list[Utterance], list[SkippedClip]]:
        """Compute features for every clip not cached yet (in ``workers`` processes when there are many);
        returns the usable clips and the skipped ones (each with its reason), never raising for one bad clip."""
        problems: list[SkippedClip | None] = [None] * len(utterances)
        pending = [index for index, utterance in enumerate(utterances) if not self.is_cached(utterance)]
        if workers > 1 and len(pending) >= WORKER_CHUNK * 2:
            found = self._ensure_in_processes([utterances[index] for index in pending], progress, workers)
        else:
            found = [self.ensure_one(utterances[index]) for index in tqdm(pending, desc="features", unit="clip", disable=not progress)]
        for index, problem in zip(pending, found):
            problems[index] = problem
        usable = [utterance for utterance, problem in zip(utterances, problems) if problem is None]
        skipped = [problem for problem in problems if problem is not None]
        if skipped:
            logger.warning("skipped %d clip(s) whose audio could not be used; first: %s", len(skipped), skipped[0])
        return usable, skipped

    @property
    def settings(self) -> CacheSettings:
        """What a worker process needs to build the same cache (``ensure_chunk_in_worker``)."""
        return (str(self.cache_dir), self.audio_config, self.silence_rms, self.max_clip_s, self.root)

    def is_cached(self, utterance: Utterance) -> bool:
        try:
            return self._cached_path(utterance).exists()
        except OSError:
            return False  # missing or unreadable: ensure_one says why

    def ensure_one(self, utterance: Utterance) -> SkippedClip | None:
        """Cache one clip's features; why it cannot be used, or None."""
        try:
            if not Path(utterance.audio).is_file():
                raise ClipRejected(MISSING_FILE, f"audio file not found: {utterance.audio}")
            target = self._cached_path(utterance)
            if not target.exists():
                self._check_length(utterance.audio)
                self._compute(utterance, target)
        except ClipRejected as rejection:
            return SkippedClip(utterance.audio, rejection.reason, rejection.detail)
        except OSError as error:
            return SkippedClip(utterance.audio, UNREADABLE, f"{utterance.audio}: {error}")
        return None

    def _ensure_in_processes(self, utterances: list[Utterance], progress: bool, workers: int) -> list[SkippedClip | None]:
        chunks = [utterances[start : start + WORKER_CHUNK] for start in range(0, len(utterances), WORKER_CHUNK)]
        problems: list[SkippedClip | None] = []
        with worker_pool(workers) as pool, tqdm(
            total=len(utterances), desc=f"features ({workers} processes)", unit="clip", disable=not progress
        ) as bar:
            for chunk_problems in pool.map(ensure_chunk_in_worker, [self.settings] * len(chunks), chunks):
                problems.extend(chunk_problems)
                bar.update(len(chunk_problems))
        return problems

    def _check_length(self, audio: str) -> None:
        """Refuse a clip longer than ``max_clip_s`` from its header, before reading it."""
        import soundfile

        if self.max_clip_s is None:
            return
        try:
            duration = soundfile.info(audio).duration
        except (soundfile.LibsndfileError, RuntimeError):
            return  # reading it says why (empty, unreadable, truncated)
        if duration > self.max_clip_s:
            raise ClipRejected(
                TOO_LONG, f"{audio} is {duration:.1f} s long (training.max_clip_s is {self.max_clip_s:g}); cut it into clips with polyvox prepare"
            )

    def _read(self, audio: str) -> np.ndarray:
        if os.path.getsize(audio) == 0:
            raise ClipRejected(EMPTY, f"{audio} is an empty file")
        try:
            samples = load_audio(audio, self.audio_config.sample_rate)
        except AudioError as error:
            reason = EMPTY if "contains no samples" in str(error) else UNREADABLE
            raise ClipRejected(reason, str(error)) from error
        if not np.all(np.isfinite(samples)):
            raise ClipRejected(UNREADABLE, f"{audio} contains NaN or infinite samples")
        return np.clip(samples, -1.0, 1.0)

    def _compute(self, utterance: Utterance, target: Path) -> None:
        samples = self._read(utterance.audio)
        frames = len(samples) // self.audio_config.hop_length
        if frames < 1:
            raise ClipRejected(EMPTY, f"{utterance.audio}: shorter than one frame ({len(samples)} samples)")
        rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
        if rms < self.silence_rms:
            raise ClipRejected(SILENT, f"{utterance.audio}: RMS {rms:.2e} is below training.silence_rms_threshold={self.silence_rms:g}")
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


def _one_thread() -> None:
    torch.set_num_threads(1)  # the processes are the parallelism


def worker_pool(workers: int) -> ProcessPoolExecutor:
    """Processes computing features, one thread each. Spawned, not forked: a fork of a process whose OpenMP
    threads already ran can hang in the child."""
    from multiprocessing import get_context

    return ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_one_thread)


def ensure_chunk_in_worker(settings: CacheSettings, utterances: list[Utterance]) -> list[SkippedClip | None]:
    cache = FeatureCache(*settings)
    return [cache.ensure_one(utterance) for utterance in utterances]
