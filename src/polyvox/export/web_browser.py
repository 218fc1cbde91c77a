"""An exported page served on localhost and opened in headless Chromium through Playwright: what the
browser parity tests and ``benchmarks/web.py`` share.

It drives the system's Chromium (Debian's ``chromium``), never a browser Playwright would download, with
the background services that reach the network switched off, so nothing is fetched from outside.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import logging
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

from polyvox.errors import PolyvoxError
from polyvox.export.web_mandarin import mandarin_version_mismatch

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

logger = logging.getLogger(__name__)

CHROMIUM_ENV = "POLYVOX_CHROMIUM"
CHROMIUM_ARGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
)
# The page's status line while the voice loads (index.html).
LOADING = "Loading the voice…"


class BrowserError(PolyvoxError, RuntimeError):
    """Chromium or Playwright is missing, or the page did not come up; the message says which."""


def chromium_path() -> Path | None:
    """``$POLYVOX_CHROMIUM``, else Debian's ``chromium`` on the PATH."""
    found = os.environ.get(CHROMIUM_ENV) or shutil.which("chromium")
    return Path(found) if found else None


def browser_missing() -> str | None:
    """Why the page cannot be opened here (one line), or None when it can."""
    if importlib.util.find_spec("playwright") is None:
        return "Playwright is not installed: pip install 'polyvox[web]'"
    if chromium_path() is None:
        return f"no Chromium: apt-get install chromium (or set {CHROMIUM_ENV})"
    return None


class _QuietHandler(SimpleHTTPRequestHandler):
    isolated = False

    def end_headers(self) -> None:
        if self.isolated:  # cross-origin isolation: what onnxruntime-web needs to compute on several threads
            self.send_header("Cross-Origin-Opener-Policy", "same-origin")
            self.send_header("Cross-Origin-Embedder-Policy", "require-corp")
        super().end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the base class's name)
        """Requests are not logged: the page fetches a dozen files per load."""


class _IsolatingHandler(_QuietHandler):
    isolated = True


@contextlib.contextmanager
def serve(directory: str | Path, isolated: bool = False) -> Iterator[str]:
    """``directory`` over http on a free localhost port; yields its base url (ending in ``/``). ``isolated``
    sends the headers that make the page cross-origin isolated (SharedArrayBuffer, so threads). A page whose
    Mandarin data is another pypinyin's than the installed one is served with a one-line warning."""
    mismatch = mandarin_version_mismatch(directory)
    if mismatch:  # the page still runs; only a comparison of its Mandarin ids with Python's is off
        logger.warning(mismatch)
    handler = _IsolatingHandler if isolated else _QuietHandler
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@dataclass
class OpenedPage:
    page: Page
    # Exceptions the page left unhandled and console errors other than failed fetches (the favicon).
    errors: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return self.page.inner_text("#status")


@contextlib.contextmanager
def chromium() -> Iterator[Browser]:
    """Headless Chromium through Playwright (one per process at a time: Playwright's sync API allows one)."""
    reason = browser_missing()
    if reason:
        raise BrowserError(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium_path()), args=list(CHROMIUM_ARGS))
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def open_page(browser: Browser, url: str, timeout_s: float = 180.0) -> Iterator[OpenedPage]:
    """The page at ``url`` in a new tab, once its voice has loaded or failed to (the status line says)."""
    page = browser.new_page()
    opened = OpenedPage(page)
    page.on("pageerror", lambda error: opened.errors.append(f"unhandled: {error}"))
    page.on("console", lambda message: opened.errors.append(message.text) if message.type == "error" and "Failed to load resource" not in message.text else None)
    page.set_default_timeout(timeout_s * 1000)
    try:
        page.goto(url)
        page.wait_for_function(f"document.getElementById('status').textContent !== {LOADING!r}")
        yield opened
    finally:
        page.close()
