"""``polyvox import-voice``: a released Piper voice (.onnx) or a VITS, Piper or MeloTTS checkpoint as a polyvox voice,
with its loading report."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from polyvox.cli_support import fail, run, setup_logging, took


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("import-voice")(import_voice)


def import_voice(
    checkpoint: Annotated[Path, typer.Argument(help="Piper voice VOICE.onnx, VITS G_*.pth, Piper .ckpt or MeloTTS checkpoint.pth.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Voice file to write (.safetensors).")],
    config: Annotated[
        Optional[Path],
        typer.Option(help="VOICE.onnx.json of a Piper voice (found beside VOICE.onnx when not given), or config.json of a VITS or MeloTTS checkpoint."),
    ] = None,
    phonemes: Annotated[
        Optional[Path], typer.Option(help="Piper's .onnx.json (phoneme ids), or VITS's text/symbols.py or a JSON symbol list.")
    ] = None,
    language: Annotated[Optional[str], typer.Option(help="The voice's language code when the files do not tell it.")] = None,
    report: Annotated[
        Optional[Path], typer.Option(help="Also write the whole report (every tensor, loaded ones too) as JSON here.")
    ] = None,
    half: Annotated[bool, typer.Option("--half", help="Store the weights in half precision (half the file size).")] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing voice file at OUTPUT.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose/--quiet", "-v/-q", help="Also list every loaded tensor.")] = False,
) -> None:
    """Import a released Piper voice or a pretrained checkpoint of another project as a voice, and print how each
    tensor was carried over.

    ONNX graphs are read with the onnx package and never run; checkpoints are read with torch.load(weights_only=True):
    neither can run code.
    """
    setup_logging(verbose)
    started = time.monotonic()
    if output.exists() and not overwrite:
        fail(f"{output} already exists: pass --overwrite to replace it, or -o another name")

    def work() -> None:
        from polyvox.voice_file import save_voice
        from polyvox.files import atomic_path
        from polyvox.pretrained import import_checkpoint

        tensors, metadata, import_report = import_checkpoint(checkpoint, config, phonemes, language)
        typer.echo(import_report.summary())
        for line in import_report.all_lines() if verbose else import_report.grouped_lines():
            typer.echo(f"  {line}")
        saved = save_voice(output, tensors, metadata, half=half)
        if report is not None:
            try:
                with atomic_path(report) as temporary:
                    temporary.write_text(json.dumps(import_report.to_dict(), indent=1, ensure_ascii=False), encoding="utf-8")
            except OSError as error:
                fail(f"cannot write the report to {report}: {error.strerror or error}")
            typer.echo(f"report: {report}")
        speakers = ", ".join(metadata.speakers[:5]) + (" ..." if len(metadata.speakers) > 5 else "")
        typer.echo(f"wrote {saved}, the imported voice ({', '.join(metadata.languages)}; {len(metadata.speakers)} speakers: {speakers}) {took(started)}")

    run(work)
