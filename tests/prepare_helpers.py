"""Generated recordings for the ``polyvox prepare`` tests: espeak-ng sentences, made ugly on purpose."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from polyvox.audio.io import resample
from polyvox.data.corpus.espeak_engine import EspeakEngine
from polyvox.data.corpus.sentences import SentenceGenerator, grammar_for
from polyvox.data.corpus.silence import trim_silence
from polyvox.data.corpus.speakers import speakers_for_language

WORK_RATE = 22050


@dataclass(frozen=True)
class LongRecording:
    path: Path
    sentences: list[str]
    # Where each sentence's speech starts and ends in the recording, in seconds.
    boundaries: list[tuple[float, float]]


def spoken_sentences(
    engine: EspeakEngine, language: str, count: int, seed: int, speaker: int = 0
) -> tuple[list[str], list[np.ndarray]]:
    """``count`` generated sentences and their speech (float32 at ``WORK_RATE``, silence trimmed away)."""
    voice = speakers_for_language(language, speaker + 1)[speaker]
    sentences = SentenceGenerator(grammar_for(language), seed).sentences(count)
    audio = []
    for index, sentence in enumerate(sentences):
        synthesis = engine.synthesize(sentence, voice.settings, random_seed=seed + index)
        samples = resample(synthesis.samples.astype(np.float32) / 32768.0, synthesis.sample_rate, WORK_RATE)
        audio.append(trim_silence(samples, WORK_RATE, keep_seconds=0.0)[0])
    return sentences, audio


def write_long_recording(
    engine: EspeakEngine,
    path: Path,
    count: int = 8,
    seed: int = 5,
    snr_db: float = 25.0,
    clipped_sentence: int | None = 2,
    rate: int = 44100,
) -> LongRecording:
    """Sentences joined by 0.7-1.2 s pauses, with white noise at ``snr_db`` and one sentence driven
    into hard clipping, written as stereo at ``rate``."""
    random = np.random.default_rng(seed)
    sentences, audio = spoken_sentences(engine, "en", count, seed)
    parts, boundaries, position = [], [], 0
    for index, speech in enumerate(audio):
        pause = np.zeros(int(random.uniform(0.7, 1.2) * WORK_RATE), dtype=np.float32)
        speech = speech / np.abs(speech).max() * 0.5
        if index == clipped_sentence:
            speech = speech * 6.0
        parts += [pause, speech]
        position += pause.size
        boundaries.append((position / WORK_RATE, (position + speech.size) / WORK_RATE))
        position += speech.size
    parts.append(np.zeros(WORK_RATE // 2, dtype=np.float32))
    mono = np.concatenate(parts)
    speech_power = np.mean(np.concatenate(audio) ** 2) * (0.5 / np.mean([np.abs(a).max() for a in audio])) ** 2
    mono = mono + random.normal(0.0, np.sqrt(speech_power / 10 ** (snr_db / 10)), mono.size).astype(np.float32)
    mono = resample(np.clip(mono, -1.0, 1.0), WORK_RATE, rate)
    stereo = np.stack([mono, np.clip(0.9 * mono, -1.0, 1.0)], axis=1)
    soundfile.write(str(path), stereo, rate, subtype="PCM_16")
    return LongRecording(path, sentences, boundaries)
