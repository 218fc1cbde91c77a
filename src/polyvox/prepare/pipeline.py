"""``polyvox prepare``: recordings in, a training-ready manifest and a report out.

Recordings are processed in parallel worker processes (one recording per task) and each result
is cached, so a second run over the same input only redoes what changed. Transcription (when a
model is given) and the checks run in the main process on the finished clips.
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict
from pathlib import Path
from typing import Protocol

from polyvox.audio.io import load_audio
from polyvox.data.coverage import report_data_coverage
from polyvox.data.manifest import Utterance, write_manifest
from polyvox.prepare.cache import SourceCache, TranscriptCache
from polyvox.prepare.checks import ClipVerdict, check_clips
from polyvox.prepare.errors import PrepareError
from polyvox.prepare.inputs import SourceRecording, find_sources
from polyvox.prepare.output_folder import clips_to_keep, merged
from polyvox.prepare.report import DROPPED, FLAGGED_KEPT, KEPT, ClipOutcome, PrepareReport, RecordingSteps, UnusableRecording
from polyvox.prepare.settings import AudioSettings, PrepareSettings
from polyvox.prepare.source_processing import ClipRecord, SourceResult, process_source
from polyvox.prepare.voice_target import VoiceTarget
from polyvox.text import TextError, TextFrontend

logger = logging.getLogger(__name__)

MANIFEST_FILE = "manifest.jsonl"
CLIP_FOLDER = "wavs"
CACHE_FOLDER = ".prepare_cache"


def prepare_dataset(
    input_path: str | Path,
    out_dir: str | Path,
    target: VoiceTarget,
    settings: PrepareSettings,
    language: str = "en",
    speaker: str | None = None,
    transcript: str | Path | None = None,
    whisper_model: str | Path | None = None,
    progress: bool = True,
    append: bool = False,
) -> PrepareReport:
    """Prepare ``input_path`` into ``out_dir`` (``manifest.jsonl``, ``wavs/``, the report) for ``target``.
    A dataset already in ``out_dir`` is refused unless ``append`` (see ``output_folder``)."""
    settings = dataclasses.replace(settings, model_minimum_s=target.minimum_clip_s)
    settings = dataclasses.replace(settings, audio=dataclasses.replace(settings.audio, sample_rate=target.sample_rate))
    settings.validate()
    if whisper_model is not None:
        from polyvox.prepare.transcription import check_model_folder

        check_model_folder(whisper_model)
    sources = find_sources(input_path, language, speaker, transcript, exclude=out_dir)
    languages = sorted({source.language for source in sources})
    try:
        frontend = TextFrontend(languages)
    except TextError as error:
        raise PrepareError(f"cannot read the transcripts: {error}") from error
    out = Path(out_dir)
    kept = clips_to_keep(out, MANIFEST_FILE, input_path, append)
    results, reused = _process_all(sources, settings, out, progress)
    clips = [clip for result in results for clip in result.clips]
    if whisper_model is not None:
        clips = _transcribe_missing(clips, whisper_model, out / CACHE_FOLDER, target.sample_rate, progress)
    verdicts = check_clips(clips, frontend, settings, target.training, target.rules, target.languages)
    outcomes = [_outcome(verdict, settings.flagged) for verdict in verdicts]
    manifest = out / MANIFEST_FILE
    written = merged(kept, [_utterance(outcome) for outcome in outcomes if outcome.in_manifest])
    write_manifest(manifest, written)
    report = PrepareReport(
        input=str(input_path),
        manifest=str(manifest),
        flagged_policy=settings.flagged,
        settings=asdict(settings),
        recordings=len(sources),
        reused=reused,
        recording_steps=[RecordingSteps(r.source.audio, r.steps, len(r.clips)) for r in results],
        unusable=[UnusableRecording(r.source.audio, r.problem, r.problem_detail) for r in results if r.problem],
        clips=outcomes,
        phoneme_coverage=report_data_coverage(written, target.rules.utterance_tokens, f"the dataset {manifest}"),
    )
    report.write(out)
    return report


def _process_all(
    sources: Sequence[SourceRecording], settings: PrepareSettings, out: Path, progress: bool
) -> tuple[list[SourceResult], int]:
    """Every recording's result, in input order, and how many came from the cache."""
    cache = SourceCache(out / CACHE_FOLDER)
    # Slicing never makes clips shorter than the model can take.
    audio_settings = dataclasses.replace(settings.audio, min_clip_s=settings.min_clip_s)
    keys = [cache.key(source, audio_settings) for source in sources]
    results: dict[int, SourceResult] = {}
    for index, key in enumerate(keys):
        cached = cache.load(key)
        if cached is not None:
            results[index] = cached
    reused = len(results)
    pending = [index for index in range(len(sources)) if index not in results]
    clip_dir = str(out / CLIP_FOLDER)
    workers = settings.workers if _audio_seconds(sources, pending) >= settings.parallel_min_audio_s else 1
    bar = _progress_bar(len(pending), "preparing recordings", "rec", progress)
    for index, result in _run_pending(sources, pending, audio_settings, clip_dir, workers):
        cache.save(keys[index], result)
        results[index] = result
        bar.update(1)
    bar.close()
    return [results[index] for index in range(len(sources))], reused


def _audio_seconds(sources: Sequence[SourceRecording], pending: list[int]) -> float:
    """Total length of the pending recordings from their headers (an unreadable one counts 0; its worker reports it)."""
    import soundfile

    total = 0.0
    for index in pending:
        try:
            total += soundfile.info(sources[index].audio).duration
        except (soundfile.LibsndfileError, RuntimeError, OSError):
            continue
    return total


def _run_pending(
    sources: Sequence[SourceRecording], pending: list[int], audio_settings: AudioSettings, clip_dir: str, workers: int
) -> Iterable[tuple[int, SourceResult]]:
    if workers == 1 or len(pending) <= 1:
        for index in pending:
            yield index, process_source(sources[index], audio_settings, clip_dir)
        return
    # spawn: forked children would inherit the parent's torch and espeak state, which is not fork-safe.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=min(workers, len(pending)), mp_context=context) as pool:
        futures = {pool.submit(process_source, sources[index], audio_settings, clip_dir): index for index in pending}
        for future in as_completed(futures):
            yield futures[future], future.result()


def _transcribe_missing(
    clips: list[ClipRecord], model_dir: str | Path, cache_dir: Path, sample_rate: int, progress: bool
) -> list[ClipRecord]:
    from polyvox.prepare.transcription import WhisperTranscriber

    cache = TranscriptCache(cache_dir, model_dir)
    missing = [index for index, clip in enumerate(clips) if not clip.text and cache.get(clip) is None]
    if not missing:
        return [clip if clip.text else dataclasses.replace(clip, text=cache.get(clip)) for clip in clips]
    transcriber = WhisperTranscriber(model_dir)
    bar = _progress_bar(len(missing), "transcribing clips", "clip", progress)
    for language in sorted({clips[index].language for index in missing}):
        indices = [index for index in missing if clips[index].language == language]
        audio = [load_audio(clips[index].audio, sample_rate) for index in indices]
        for index, text in zip(indices, transcriber.transcribe(audio, sample_rate, language)):
            cache.put(clips[index], text)
            bar.update(1)
    bar.close()
    cache.save()
    return [clip if clip.text else dataclasses.replace(clip, text=cache.get(clip) or None) for clip in clips]


def _outcome(verdict: ClipVerdict, policy: str) -> ClipOutcome:
    clip = verdict.clip
    if verdict.must_drop() or (verdict.problems and policy == "drop"):
        action = DROPPED
    else:
        action = FLAGGED_KEPT if verdict.problems else KEPT
    return ClipOutcome(
        audio=clip.audio,
        source=clip.source,
        speaker=clip.speaker,
        language=clip.language,
        text=clip.text,
        start_s=clip.start_s,
        end_s=clip.end_s,
        duration=round(clip.duration, 3),
        phonemes_per_second=round(verdict.rate, 2) if verdict.rate is not None else None,
        action=action,
        reasons=[{"reason": reason, "detail": detail} for reason, detail in verdict.problems],
    )


def _utterance(outcome: ClipOutcome) -> Utterance:
    return Utterance(outcome.audio, outcome.text or "", outcome.speaker, outcome.language, outcome.duration)


class _Bar(Protocol):
    def update(self, n: int = 1) -> object: ...

    def close(self) -> None: ...


class _NoBar:
    def update(self, n: int = 1) -> None:
        """Nothing to show."""

    def close(self) -> None:
        """Nothing to close."""


def _progress_bar(total: int, description: str, unit: str, enabled: bool) -> _Bar:
    if not enabled or total == 0:
        return _NoBar()
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=description, unit=unit)  # type: ignore[no-any-return]
