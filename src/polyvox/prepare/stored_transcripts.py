"""Transcripts for the clips of a run's store that have none, by a local Whisper model: a bounded number of
clips' audio is loaded at a time, and transcripts are cached between runs (``TranscriptCache``)."""

from __future__ import annotations

from pathlib import Path

from polyvox.audio.io import load_audio
from polyvox.prepare.cache import TranscriptCache
from polyvox.prepare.clip_store import ClipStore
from polyvox.prepare.progress import Bar, progress_bar
from polyvox.prepare.source_processing import ClipRecord
from polyvox.prepare.transcription import BATCH_SIZE, WhisperTranscriber

# Clips whose audio is loaded at once: a whole number of the model's batches, so the batches are those of
# transcribing a language's clips all at once.
CHUNK_CLIPS = 8 * BATCH_SIZE
_UNTRANSCRIBED = "(text IS NULL OR text = '')"


def transcribe_missing(store: ClipStore, model_dir: str | Path, cache_dir: Path, sample_rate: int, progress: bool) -> None:
    cache = TranscriptCache(cache_dir, model_dir)
    try:
        _transcribe_uncached(store, model_dir, cache, sample_rate, progress)
        # Rows are read a page at a time, so each clip's text can be set as it goes by.
        for key, clip in store.clips(_UNTRANSCRIBED):
            store.set_text(key, cache.get(clip) or None)
        store.connection.commit()
    finally:
        cache.close()


def _transcribe_uncached(store: ClipStore, model_dir: str | Path, cache: TranscriptCache, sample_rate: int, progress: bool) -> None:
    languages: dict[str, int] = {}
    for _, clip in store.clips(_UNTRANSCRIBED):
        if cache.get(clip) is None:
            languages[clip.language] = languages.get(clip.language, 0) + 1
    if not languages:
        return
    transcriber = WhisperTranscriber(model_dir)
    bar = progress_bar(sum(languages.values()), "transcribing clips", "clip", progress)
    for language in sorted(languages):
        pending: list[ClipRecord] = []
        for _, clip in store.clips(f"{_UNTRANSCRIBED} AND language = ?", (language,)):
            if cache.get(clip) is None:
                pending.append(clip)
            if len(pending) == CHUNK_CLIPS:
                _transcribe(transcriber, pending, cache, sample_rate, language, bar)
                pending = []
        _transcribe(transcriber, pending, cache, sample_rate, language, bar)
    bar.close()


def _transcribe(
    transcriber: WhisperTranscriber, clips: list[ClipRecord], cache: TranscriptCache, sample_rate: int, language: str, bar: Bar
) -> None:
    audio = [load_audio(clip.audio, sample_rate) for clip in clips]
    for clip, text in zip(clips, transcriber.transcribe(audio, sample_rate, language)):
        cache.put(clip, text)
        bar.update(1)
    # Kept chunk by chunk: a run stopped midway keeps what it transcribed.
    cache.save()
