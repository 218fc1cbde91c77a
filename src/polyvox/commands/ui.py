"""``polyvox ui``: a web page to try voices (Gradio; extra ``ui``)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from polyvox.cli_support import DEFAULT_VOICE, Threads, Verbose, apply_threads, fail, run, setup_logging

MISSING_EXTRA = "the web UI needs Gradio: pip install 'polyvox[ui]'"
# How often the command looks whether the page has been closed.
STOP_POLL_S = 0.2


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""

    @app.command()
    def ui(
        host: Annotated[str, typer.Option(help="Address to listen on; 0.0.0.0 for every interface.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="TCP port.")] = 7860,
        voices_dir: Annotated[Optional[Path], typer.Option(help="Folder of .safetensors voices to offer besides the default.")] = None,
        default_voice: Annotated[Optional[Path], typer.Option(help="The voice named 'default'; default: the bundled voice.")] = None,
        text_features: Annotated[
            Optional[Path],
            typer.Option(help="The local model folder (BERT family) that voices trained with text features read each sentence "
                         "with (polyvox train --text-features); the voice refuses any other."),
        ] = None,
        threads: Threads = None,
        verbose: Verbose = False,
    ) -> None:
        """Open a web page to speak text with your voices: pick voice, language, speaker, speed and pitch."""
        setup_logging(verbose)
        apply_threads(threads)
        if voices_dir is not None and not voices_dir.is_dir():
            fail(f"--voices-dir {voices_dir} is not a folder; create it or fix the path")
        if text_features is not None and not text_features.is_dir():
            fail(f"--text-features {text_features} is not a folder; give a local model folder")
        try:
            import gradio  # noqa: F401  (checked here so a missing extra is one line, not a traceback)

            from polyvox.ui import build_ui
        except ModuleNotFoundError as error:
            if error.name != "gradio":
                raise
            fail(MISSING_EXTRA)
        page = run(lambda: build_ui(default_voice or DEFAULT_VOICE, voices_dir, text_features))
        # Quiet: Gradio's own lines advise share=True, a public tunnel this command does not offer.
        _, url, _ = page.launch(server_name=host, server_port=port, show_error=True, quiet=True, prevent_thread_lock=True)
        typer.echo(f"polyvox ui: open {url} in a browser (Ctrl-C stops)")
        try:
            while page.is_running:  # as Gradio's block_thread, without its console line
                time.sleep(STOP_POLL_S)
        except KeyboardInterrupt:
            typer.echo("polyvox ui: stopped", err=True)  # Ctrl-C is how the page is meant to end
        finally:
            page.close()
