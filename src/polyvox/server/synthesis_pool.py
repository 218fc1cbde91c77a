"""Runs synthesis (CPU-bound) on a bounded pool of threads, off the event loop.

At most ``max_concurrent`` jobs run and ``max_queued`` wait; one more is refused at once with 503
rather than left to time out. A request past its time limit gets 504; its thread cannot be
killed, so its place stays taken until the job really ends, which keeps the count honest.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable, Generator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TypeVar

from polyvox.server.errors import ApiError

logger = logging.getLogger(__name__)

Result = TypeVar("Result")
# What a streaming worker hands the event loop: a chunk, or the error that ended it, or (None, None) at the end.
_Message = tuple[bytes | None, BaseException | None]


class SynthesisPool:
    def __init__(self, max_concurrent: int, max_queued: int, timeout_s: float) -> None:
        self.capacity = max_concurrent + max_queued
        self.timeout_s = timeout_s
        self._executor = ThreadPoolExecutor(max_workers=max_concurrent, thread_name_prefix="polyvox-synthesis")
        self._admitted = 0
        self._lock = threading.Lock()

    @property
    def in_progress(self) -> int:
        """Jobs running or waiting for a thread."""
        with self._lock:
            return self._admitted

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _submit(self, job: Callable[[], Result]) -> Future[Result]:
        with self._lock:
            if self._admitted >= self.capacity:
                raise ApiError(
                    503, "server_busy",
                    f"the server is busy ({self.capacity} requests running or queued); retry shortly",
                    headers={"Retry-After": "1"},
                )
            self._admitted += 1
        try:
            future = self._executor.submit(job)
        except RuntimeError:
            self._release()
            raise
        future.add_done_callback(self._release)
        return future

    def _release(self, _future: Future | None = None) -> None:
        with self._lock:
            self._admitted -= 1

    def _timeout_error(self) -> ApiError:
        return ApiError(
            504, "timeout",
            f"synthesis took longer than the server's limit of {self.timeout_s:g} s; send shorter text or retry later",
        )

    async def run(self, job: Callable[[], Result]) -> Result:
        """``job()`` on a pool thread; its exceptions are raised here."""
        future = self._submit(job)
        try:
            # On timeout the wrapped future is cancelled, which also frees a job that has not started.
            return await asyncio.wait_for(asyncio.wrap_future(future), self.timeout_s)
        except TimeoutError:
            raise self._timeout_error() from None

    async def open_stream(self, produce: Callable[[], Generator[bytes, None, None]]) -> AsyncIterator[bytes]:
        """Start ``produce()`` on a pool thread and wait for its first chunk.

        Errors before the first chunk are raised here (so they can still become a JSON error);
        later ones, and the time limit, end the stream early, logged. Closing the returned
        iterator (the client went away) stops the worker at its next chunk.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout_s
        messages: asyncio.Queue[_Message] = asyncio.Queue()
        stop = threading.Event()

        def send(message: _Message) -> None:
            try:
                loop.call_soon_threadsafe(messages.put_nowait, message)
            except RuntimeError:
                stop.set()  # the event loop is closed: nobody is listening any more

        def work() -> None:
            if stop.is_set():
                return
            try:
                chunks = produce()
                try:
                    for chunk in chunks:
                        if stop.is_set():
                            return
                        send((chunk, None))
                finally:
                    chunks.close()  # gives back what the producer holds (its voice replica) even when stopped early
            except Exception as error:  # noqa: BLE001  (handed to the event loop, which answers for it)
                send((None, error))
                return
            send((None, None))

        future = self._submit(work)
        try:
            first, error = await asyncio.wait_for(messages.get(), self.timeout_s)
        except TimeoutError:
            stop.set()
            future.cancel()
            raise self._timeout_error() from None
        if error is not None:
            raise error
        return self._rest(first, messages, stop, deadline)

    async def _rest(
        self, first: bytes | None, messages: asyncio.Queue[_Message], stop: threading.Event, deadline: float,
    ) -> AsyncIterator[bytes]:
        loop = asyncio.get_running_loop()
        try:
            chunk = first
            while chunk is not None:
                yield chunk
                try:
                    chunk, error = await asyncio.wait_for(messages.get(), max(deadline - loop.time(), 0.0))
                except TimeoutError:
                    logger.warning("stream cut at the %g s limit (--timeout)", self.timeout_s)
                    return
                if error is not None:
                    # polyvox's input errors are ValueErrors with a message that says it all; others need the traceback.
                    logger.warning(
                        "stream ended early by %s: %s", type(error).__name__, error,
                        exc_info=None if isinstance(error, ValueError) else error,
                    )
                    return
        finally:
            stop.set()
