"""``polyvox prepare``: recordings in, a training-ready manifest and a report out.

Recordings are processed in parallel worker processes (one recording per task) and each result
is cached, so a second run over the same input only redoes what changed. Each result goes to the run's
clip store (an SQLite file in the work area) as it comes; transcription (when a model is given), the checks,
the manifest and the report then read the store in passes, so memory stays flat as the corpus grows.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import multiprocessing
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import asdict
from pathlib import Path

from polyvox.data.coverage import report_data_coverage
from polyvox.data.manifest import iter_manifest, write_manifest
from polyvox.prepare.cache import SourceCache
from polyvox.prepare.clip_store import ClipStore
from polyvox.prepare.errors import PrepareError
from polyvox.prepare.inputs import SourceRecording, iter_sources
from polyvox.prepare.outcomes import new_utterances, record_outcomes
from polyvox.prepare.output_folder import clips_to_keep, merged
from polyvox.prepare.progress import progress_bar
from polyvox.prepare.report import PrepareReport
from polyvox.prepare.report_file import write_report
from polyvox.prepare.settings import AudioSettings, PrepareSettings
from polyvox.prepare.source_processing import SourceResult, process_source
from polyvox.prepare.stored_checks import check_stored_clips
from polyvox.prepare.voice_target import VoiceTarget
from polyvox.text import TextError, TextFrontend

logger = logging.getLogger(__name__)

MANIFEST_FILE = "manifest.jsonl"
CLIP_FOLDER = "wavs"
CACHE_FOLDER = ".prepare_cache"
# The run's clip store, in the work area; each run replaces it (the report's clip list reads it).
RUN_FILE = "last_run.sqlite"
# Recordings handed to the worker processes ahead of the one each works on.
QUEUED_PER_WORKER = 4


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
    # A first pass reads the whole input before anything is written; the recordings are read again as they are worked on.
    languages = {source.language for source in iter_sources(input_path, language, speaker, transcript, exclude=out_dir)}
    try:
        frontend = TextFrontend(sorted(languages))
    except TextError as error:
        raise PrepareError(f"cannot read the transcripts: {error}") from error
    out = Path(out_dir)
    kept = clips_to_keep(out, MANIFEST_FILE, input_path, append)
    store = ClipStore(out / CACHE_FOLDER / RUN_FILE)
    try:
        sources = iter_sources(input_path, language, speaker, transcript, exclude=out_dir)
        recordings, reused = _process_all(sources, settings, out, progress, store)
        if whisper_model is not None:
            from polyvox.prepare.stored_transcripts import transcribe_missing

            transcribe_missing(store, whisper_model, out / CACHE_FOLDER, target.sample_rate, progress)
        check_stored_clips(store, frontend, settings, target.training, target.rules, target.languages)
        manifest = out / MANIFEST_FILE
        report = PrepareReport(str(input_path), str(manifest), settings.flagged, asdict(settings), recordings, reused, store.path)
        for recording in store.recordings():
            report.add_recording(recording.steps, recording.problem)
        record_outcomes(store, report, settings.flagged)
        write_manifest(manifest, merged(iter_manifest(kept) if kept else (), new_utterances(store), store.in_manifest))
        report.phoneme_coverage = report_data_coverage(iter_manifest(manifest), target.rules.utterance_tokens, f"the dataset {manifest}")
        write_report(report, store, out)
    finally:
        store.close()
    return report


def _process_all(sources: Iterable[SourceRecording], settings: PrepareSettings, out: Path, progress: bool, store: ClipStore) -> tuple[int, int]:
    """Every recording's result into ``store``: first those the cache has (the others wait in the store), then
    the others, processed. How many recordings there are, and how many came from the cache."""
    cache = SourceCache(out / CACHE_FOLDER)
    # Slicing never makes clips shorter than the model can take.
    audio_settings = dataclasses.replace(settings.audio, min_clip_s=settings.min_clip_s)
    recordings, pending, pending_s = 0, 0, 0.0
    for index, source in enumerate(sources):
        recordings += 1
        cached = cache.load(cache.key(source, audio_settings))
        if cached is None:
            store.add_pending(index, source)
            pending, pending_s = pending + 1, pending_s + _audio_seconds(source)
        else:
            store.add(index, cached)
    store.connection.commit()
    workers = min(settings.workers, pending) if pending_s >= settings.parallel_min_audio_s else 1
    bar = progress_bar(pending, "preparing recordings", "rec", progress)
    for index, source, result in _run_pending(store.pending(), audio_settings, str(out / CLIP_FOLDER), workers):
        cache.save(cache.key(source, audio_settings), result)
        store.add(index, result)
        bar.update(1)
    bar.close()
    return recordings, recordings - pending


def _audio_seconds(source: SourceRecording) -> float:
    """The recording's length from its header (an unreadable one counts 0; its worker reports it)."""
    import soundfile

    try:
        return float(soundfile.info(source.audio).duration)
    except (soundfile.LibsndfileError, RuntimeError, OSError):
        return 0.0


def _run_pending(
    pending: Iterator[tuple[int, SourceRecording]], audio_settings: AudioSettings, clip_dir: str, workers: int
) -> Iterator[tuple[int, SourceRecording, SourceResult]]:
    if workers <= 1:
        for index, source in pending:
            yield index, source, process_source(source, audio_settings, clip_dir)
        return
    # spawn: forked children would inherit the parent's torch and espeak state, which is not fork-safe.
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        # A few recordings queued per worker, not the whole input: each queued task holds its recording.
        running: dict[Future[SourceResult], tuple[int, SourceRecording]] = {}
        while True:
            for index, source in itertools.islice(pending, QUEUED_PER_WORKER * workers - len(running)):
                running[pool.submit(process_source, source, audio_settings, clip_dir)] = (index, source)
            if not running:
                return
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                index, source = running.pop(future)
                yield index, source, future.result()
