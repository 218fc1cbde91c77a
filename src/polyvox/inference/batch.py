"""``polyvox say --batch``: many utterances into a folder of WAV files, on worker processes, resumable.

Each file is written atomically, so a file under its final name is complete: a repeated run keeps it
and counts it as skipped. An interrupted run leaves only temporary ``.NAME.wav.*.partial`` files
(when killed outright), which the next run removes. The work is shared by this process and worker
processes, ``jobs`` in all, each with ``threads`` torch threads; the command divides its threads among
them (polyvox/threads.py), one each by default: utterances are independent, so processes never wait
for each other, while two threads in one process synchronise on every layer.
"""

from __future__ import annotations

import contextlib
import dataclasses
import glob
import logging
import multiprocessing
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm import tqdm

from polyvox.inference.batch_items import BatchItem
from polyvox.speech_request import SpeechRequest

logger = logging.getLogger(__name__)

# Loads the voice (or another engine with the same ``synthesize``); must pickle, since workers call it.
VoiceLoader = Callable[[], Any]
# How long this process speaks alone before starting workers: about what a worker takes to start
# (a fresh interpreter importing torch, loading the voice, starting espeak-ng) on an idle machine.
WORKER_START_S = 2.0


# The command's options, as a request without text; an item's own text (or phonemes or score), language and speaker replace its own.
SpeechSettings = SpeechRequest


@dataclass(frozen=True)
class BatchReport:
    written: int
    skipped: int  # already there from an earlier run
    failures: tuple[str, ...]  # "lines.txt, line 3: <why>", in input order

    def summary(self, folder: Path) -> str:
        failed = f", {len(self.failures)} failed" if self.failures else ""
        return f"wrote {self.written} files to {folder} ({self.skipped} already there, kept){failed}"


def output_path(folder: Path, item: BatchItem) -> Path:
    return folder / f"{item.name}.wav"


def remove_partial_files(folder: Path, items: Sequence[BatchItem]) -> int:
    """Delete temporary files a killed run left for these items; returns how many."""
    removed = 0
    for item in items:
        for stale in folder.glob(f".{glob.escape(item.name)}.wav.*.partial"):
            stale.unlink(missing_ok=True)
            removed += 1
    return removed


def speak_item(voice: Any, item: BatchItem, folder: Path, settings: SpeechRequest) -> str | None:
    """Speak one item into its file; returns why it failed (a user error), or None."""
    from polyvox.audio.io import AudioError, save_audio
    from polyvox.inference.voice import SynthesisError
    from polyvox.text.errors import TextError

    try:
        request = dataclasses.replace(
            settings, text=item.text, phonemes=item.phonemes, score=item.score,
            language=item.language or settings.language, speaker=item.speaker or settings.speaker,
            emotion=item.emotion or settings.emotion,
        )
        result = voice.synthesize(request)
        save_audio(output_path(folder, item), result.samples, result.sample_rate)
    except (TextError, SynthesisError, AudioError) as error:
        return f"{item.source}: {error}"
    return None


@contextlib.contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """torch computes with ``count`` threads inside; the caller's setting is restored after."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def one_torch_thread() -> contextlib.AbstractContextManager[None]:
    return torch_threads(1)


# A worker process's voice, loaded once by the pool's initializer (the usual concurrent.futures pattern;
# it is only ever set inside worker processes).
_worker_voice: Any = None


def _start_worker(load_voice: VoiceLoader, threads: int) -> None:
    from polyvox.threads import apply_torch_threads

    global _worker_voice
    # The OpenMP variables came with the parent's environment (use_threads), read before torch loaded here.
    apply_torch_threads(threads)
    _worker_voice = load_voice()


def _worker_ready() -> None:
    """A no-op task: once it is done, a worker has started and loaded its voice."""


def _speak_in_worker(item: BatchItem, folder: Path, settings: SpeechRequest) -> str | None:
    return speak_item(_worker_voice, item, folder, settings)


Finish = Callable[[int, "str | None"], None]


def speak_with_workers(
    todo: Sequence[BatchItem],
    folder: Path,
    load_voice: VoiceLoader,
    settings: SpeechRequest,
    workers: int,
    finish: Finish,
    voice: Any = None,
    position: int = 0,
    threads: int = 1,
) -> None:
    """Speak ``todo[position:]`` on ``workers`` worker processes of ``threads`` torch threads each, calling
    ``finish(index, failure)`` for each item.

    With ``voice``, this process keeps speaking items too (a worker's start costs seconds: torch,
    the voice, espeak-ng); workers get items once one is up, two queued each. Without, it only hands out items.
    """
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no forked torch thread pools
    pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=(load_voice, threads))
    ready = pool.submit(_worker_ready)
    try:
        with torch_threads(threads):
            _hand_out(pool, ready, todo, position, folder, settings, workers, finish, voice)
    finally:
        # A worker still starting is not waited for: it exits on its own once started.
        pool.shutdown(wait=ready.done(), cancel_futures=True)


def _hand_out(
    pool: ProcessPoolExecutor, ready: Future[None], todo: Sequence[BatchItem], position: int, folder: Path,
    settings: SpeechRequest, workers: int, finish: Finish, voice: Any,
) -> None:
    running: dict[Future[str | None], int] = {}
    while position < len(todo) or running:
        for future in [future for future in running if future.done()]:
            finish(running.pop(future), future.result())
        workers_up = ready.done() and ready.exception() is None
        while (workers_up or voice is None) and position < len(todo) and len(running) < 2 * workers:
            running[pool.submit(_speak_in_worker, todo[position], folder, settings)] = position
            position += 1
        if voice is not None and position < len(todo):
            finish(position, speak_item(voice, todo[position], folder, settings))
            position += 1
        elif running:
            wait(running, return_when=FIRST_COMPLETED)
    if ready.done() and ready.exception() is not None:
        logger.warning("worker processes could not start (%s); this process spoke every item", ready.exception())


def run_batch(
    items: Sequence[BatchItem],
    folder: Path,
    load_voice: VoiceLoader,
    settings: SpeechRequest,
    jobs: int = 2,
    progress: bool = True,
    alone_first_s: float = WORKER_START_S,
    threads: int = 1,
) -> BatchReport:
    """Speak every item not already in ``folder``; one item's error is reported, the others go on.

    This process loads the voice first (a bad voice file fails once, before any worker starts) and
    speaks alone for ``alone_first_s``; a batch still unfinished then gets ``jobs - 1`` worker
    processes beside it, so a short batch never waits for workers to start. Each of the ``jobs``
    processes computes with ``threads`` torch threads (``polyvox.threads.plan_threads`` divides the cores).
    """
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    folder.mkdir(parents=True, exist_ok=True)
    if removed := remove_partial_files(folder, items):
        logger.info("removed %d unfinished file(s) left by an interrupted run", removed)
    todo = [item for item in items if not output_path(folder, item).is_file()]
    skipped = len(items) - len(todo)
    if not todo:
        return BatchReport(written=0, skipped=skipped, failures=())
    voice = load_voice()
    failures: dict[int, str] = {}
    with torch_threads(threads), tqdm(total=len(items), initial=skipped, unit="utt", desc="speaking", disable=not progress) as bar:

        def finish(index: int, failure: str | None) -> None:
            if failure is not None:
                failures[index] = failure
            bar.update(1)

        started = time.monotonic()
        position = 0
        while position < len(todo) and (jobs == 1 or time.monotonic() - started < alone_first_s):
            finish(position, speak_item(voice, todo[position], folder, settings))
            position += 1
        if position < len(todo):
            speak_with_workers(todo, folder, load_voice, settings, jobs - 1, finish, voice=voice, position=position, threads=threads)
    return BatchReport(
        written=len(todo) - len(failures), skipped=skipped, failures=tuple(failures[index] for index in sorted(failures))
    )
