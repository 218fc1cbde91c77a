"""``polyvox import ljspeech|folder``: an existing dataset layout turned into a polyvox manifest."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from polyvox.cli_support import HELP_SETTINGS, run, took


def register(app: typer.Typer) -> None:
    """Add the ``import`` group and its layouts to ``app``."""
    import_app = typer.Typer(help="Turn an existing dataset layout into a polyvox manifest.", no_args_is_help=True, **HELP_SETTINGS)
    import_app.command("ljspeech")(import_ljspeech_command)
    import_app.command("folder")(import_folder_command)
    app.add_typer(import_app, name="import")


def _import_to_manifest(output: Path, read: Any) -> None:
    started = time.monotonic()

    def work() -> None:
        from polyvox.data.manifest import write_manifest

        utterances = read()
        write_manifest(output, utterances)
        typer.echo(f"wrote {output}: {len(utterances)} utterances {took(started)}")

    run(work)


def import_ljspeech_command(
    folder: Annotated[Path, typer.Argument(help="Folder with metadata.csv and wavs/.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Manifest to write.")],
    lang: Annotated[str, typer.Option("--lang", "-l")] = "en",
    speaker: Annotated[str, typer.Option()] = "ljspeech",
) -> None:
    """Import the LJSpeech layout (metadata.csv + wavs/)."""

    from polyvox.data import importers

    _import_to_manifest(output, lambda: importers.import_ljspeech(folder, lang, speaker=speaker))


def import_folder_command(
    folder: Annotated[Path, typer.Argument(help="Audio files with transcripts beside them (or per-speaker sub-folders).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Manifest to write.")],
    lang: Annotated[str, typer.Option("--lang", "-l")] = "en",
    speaker: Annotated[Optional[str], typer.Option(help="One speaker name for all files; default: sub-folder names.")] = None,
) -> None:
    """Import a folder of audio files with transcripts."""

    from polyvox.data import importers

    _import_to_manifest(output, lambda: importers.import_folder(folder, lang, speaker=speaker))
