"""``polyvox serve``: the OpenAI-compatible HTTP server (FastAPI on uvicorn; extra ``server``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from polyvox.cli_support import DEFAULT_VOICE, Threads, Verbose, apply_threads, fail, setup_logging

MISSING_EXTRA = "the server needs FastAPI and uvicorn: pip install 'polyvox[server]'"
SERVER_MODULES = ("fastapi", "uvicorn", "starlette", "pydantic")
API_KEY_VARIABLE = "POLYVOX_API_KEY"


def is_loopback(host: str) -> bool:
    """True for addresses only this machine reaches (127.0.0.0/8, ::1, localhost)."""
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to any interface


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""

    @app.command()
    def serve(
        host: Annotated[str, typer.Option(help="Address to listen on; 0.0.0.0 for every interface.")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
        voices_dir: Annotated[Optional[Path], typer.Option(help="Folder of .safetensors voices, each served by its name.")] = None,
        default_voice: Annotated[Optional[Path], typer.Option(help="The voice named 'default'; default: the bundled voice.")] = None,
        openai_voice: Annotated[
            str, typer.Option(help="Voice ('name' or 'name:speaker') for OpenAI voice names such as alloy; 'none' refuses them.")
        ] = "default",
        max_input_chars: Annotated[int, typer.Option(help="Longest input accepted, in characters.")] = 4096,
        max_concurrent: Annotated[
            Optional[int],
            typer.Option(min=1, help="Syntheses running at once; they share --threads (default: one synthesis per thread)."),
        ] = None,
        max_queued: Annotated[int, typer.Option(help="Requests waiting for a free slot before 503.")] = 32,
        timeout: Annotated[float, typer.Option(help="Seconds one request may take before 504.")] = 120.0,
        voice_cache: Annotated[int, typer.Option(help="Voices kept loaded in memory.")] = 4,
        precision: Annotated[
            str, typer.Option(help="Decoder precision: float32, bfloat16 (faster on CPUs with bfloat16 instructions) or auto.")
        ] = "float32",
        api_key: Annotated[
            Optional[str],
            typer.Option(
                envvar=API_KEY_VARIABLE, show_envvar=True,
                help="Require 'Authorization: Bearer KEY' (as OpenAI clients send it) on every endpoint but /health.",
            ),
        ] = None,
        text_features: Annotated[
            Optional[Path],
            typer.Option(help="The local model folder that voices trained with text features read each sentence with "
                         "(polyvox train --text-features); voices without them do not use it."),
        ] = None,
        threads: Threads = None,
        verbose: Verbose = False,
    ) -> None:
        """Serve speech over HTTP: POST /v1/audio/speech and GET /v1/models (OpenAI-compatible), GET /v1/voices, GET /health."""
        setup_logging(verbose)
        # Before torch loads. Each synthesis thread computes with plan.threads: together they never use more than the cores.
        plan = apply_threads(threads, max_concurrent, "--max-concurrent")
        try:
            import uvicorn

            from polyvox.server import ServerSettings, create_app
            from polyvox.server.settings import ServerSettingsError
        except ModuleNotFoundError as error:
            if error.name not in SERVER_MODULES:
                raise
            fail(MISSING_EXTRA)

        try:
            settings = ServerSettings(
                default_voice=default_voice or DEFAULT_VOICE, voices_dir=voices_dir,
                openai_voice=None if openai_voice.lower() == "none" else openai_voice,
                max_input_chars=max_input_chars, max_concurrent=plan.processes, max_queued=max_queued,
                request_timeout_s=timeout, voice_cache_size=voice_cache, precision=precision, api_key=api_key,
                text_features=text_features,
            )
            application = create_app(settings)
        except ServerSettingsError as error:
            fail(str(error))
        if api_key is None and not is_loopback(host):
            typer.echo(
                f"warning: serving on {host} without an API key: anyone who can reach this address can use the server; "
                f"pass --api-key KEY (or set {API_KEY_VARIABLE})",
                err=True,
            )
        # uvicorn's own lines say where it listens (or why it cannot); one line per request only with -v.
        uvicorn.run(application, host=host, port=port, log_level="info", access_log=verbose)
