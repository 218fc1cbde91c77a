"""``polyvox prepare``: recordings in, a training-ready manifest and a report out.

Recordings are processed in parallel worker processes (one recording per task) and each result
is cached, so a second run over the same input only redoes what changed. Each result goes to the run's
clip store (an SQLite file in the work area) as it comes; transcription (when a model is given), the checks,
the manifest and the report then read the store in passes, so memory stays flat as the corpus grows.
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict
from pathlib import Path

from polyvox.data.coverage import report_data_coverage
from polyvox.data.manifest import iter_manifest, write_manifest
from polyvox.prepare.cache import SourceCache
from polyvox.prepare.clip_store import ClipStore
from polyvox.prepare.errors import PrepareError
from polyvox.prepare.inputs import SourceRecording, find_sources
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
    store = ClipStore(out / CACHE_FOLDER / RUN_FILE)
    try:
        reused = _process_all(sources, settings, out, progress, store)
        if whisper_model is not None:
            from polyvox.prepare.stored_transcripts import transcribe_missing

            transcribe_missing(store, whisper_model, out / CACHE_FOLDER, target.sample_rate, progress)
        check_stored_clips(store, frontend, settings, target.training, target.rules, target.languages)
        manifest = out / MANIFEST_FILE
        report = PrepareReport(str(input_path), str(manifest), settings.flagged, asdict(settings), len(sources), reused, store.path)
        for recording in store.recordings():
            report.add_recording(recording.steps, recording.problem)
        record_outcomes(store, report, settings.flagged)
        write_manifest(manifest, merged(iter_manifest(kept) if kept else (), new_utterances(store), store.in_manifest))
        report.phoneme_coverage = report_data_coverage(iter_manifest(manifest), target.rules.utterance_tokens, f"the dataset {manifest}")
        write_report(report, store, out)
    finally:
        store.close()
    return report


def _process_all(sources: Sequence[SourceRecording], settings: PrepareSettings, out: Path, progress: bool, store: ClipStore) -> int:
    """Every recording's result into ``store``; how many came from the cache."""
    cache = SourceCache(out / CACHE_FOLDER)
    # Slicing never makes clips shorter than the model can take.
    audio_settings = dataclasses.replace(settings.audio, min_clip_s=settings.min_clip_s)
    pending: list[int] = []
    for index, source in enumerate(sources):
        cached = cache.load(cache.key(source, audio_settings))
        if cached is None:
            pending.append(index)
        else:
            store.add(index, cached)
    clip_dir = str(out / CLIP_FOLDER)
    workers = settings.workers if _audio_seconds(sources, pending) >= settings.parallel_min_audio_s else 1
    bar = progress_bar(len(pending), "preparing recordings", "rec", progress)
    for index, result in _run_pending(sources, pending, audio_settings, clip_dir, workers):
        cache.save(cache.key(sources[index], audio_settings), result)
        store.add(index, result)
        bar.update(1)
    bar.close()
    return len(sources) - len(pending)


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
