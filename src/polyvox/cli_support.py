"""Shared pieces of the ``polyvox`` commands: user-facing errors as one line, logging set-up."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import typer

DEFAULT_VOICE = Path(__file__).parent / "voices" / "default.safetensors"


def user_errors() -> tuple[type[Exception], ...]:
    """Exceptions whose message is meant for the user: shown as one line, no traceback."""
    from polyvox.audio.io import AudioError
    from polyvox.config import ConfigError
    from polyvox.data.importers import DatasetImportError
    from polyvox.data.manifest import ManifestError
    from polyvox.export.metadata import OnnxVoiceError
    from polyvox.errors import OutputWriteError, ReferenceClipError, TrainingDivergedError, TrainingSetupError, VoiceFileError
    from polyvox.inference.result import SynthesisError
    from polyvox.text.errors import TextError

    return (
        AudioError, VoiceFileError, ConfigError, DatasetImportError, ManifestError, SynthesisError, TextError,
        TrainingSetupError, TrainingDivergedError, OnnxVoiceError, ReferenceClipError, OutputWriteError,
    )


def fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=1)


def run(action: Any, extra_errors: tuple[type[Exception], ...] = ()) -> Any:
    """Run ``action``; the polyvox errors (and ``extra_errors``) become one ``error:`` line and exit 1."""
    try:
        return action()
    except (*user_errors(), *extra_errors) as error:
        fail(str(error))
    except KeyboardInterrupt:
        fail("interrupted")


def setup_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
