"""``polyvox doctor``: check a voice or checkpoint (fingerprint, non-finite parameters, each module on a probe)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from polyvox.cli_support import Threads, apply_threads, run, setup_logging


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("doctor")(doctor)


def doctor(
    path: Annotated[Path, typer.Argument(help="Voice file (.safetensors) or training checkpoint (.ckpt).")],
    config: Annotated[Optional[Path], typer.Option(help="Config (.json or .toml) the voice will be used with.")] = None,
    preset: Annotated[str, typer.Option(help="Preset the --config file starts from.")] = "small",
    set_values: Annotated[Optional[list[str]], typer.Option("--set", help="Override of --config, e.g. --set model.decoder.type=istft.")] = None,
    text_features: Annotated[
        Optional[Path], typer.Option(help="The model folder a voice trained with text features will speak with: compared with its own.")
    ] = None,
    threads: Threads = None,
) -> None:
    """Check a voice or checkpoint: config fingerprint, NaN/Inf parameters, each module on a probe input."""
    setup_logging(False)
    apply_threads(threads)

    def check() -> bool:
        from polyvox.config_files import load_config
        from polyvox.doctor import diagnose, format_report

        given = load_config(config, preset, set_values or [], None) if config is not None or set_values else None
        report = diagnose(path, given, text_features=text_features)
        typer.echo(format_report(report))
        return report.passed

    if not run(check):
        raise typer.Exit(code=1)
