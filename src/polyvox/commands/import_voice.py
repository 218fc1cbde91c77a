"""``polyvox import-voice``: a released Piper voice (.onnx) or a VITS, Piper or MeloTTS checkpoint as a polyvox voice,
with its loading report; or one step of a polyvox run (RUN/checkpoints/step-N.ckpt) as a voice file."""

from __future__ import annotations

import dataclasses
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
    checkpoint: Annotated[Path, typer.Argument(help="Piper voice VOICE.onnx, VITS G_*.pth, Piper .ckpt, MeloTTS checkpoint.pth, or a polyvox run's RUN/checkpoints/step-N.ckpt.")],
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
    tensor was carried over. A polyvox training checkpoint becomes the voice of that step (its generator; the
    discriminator and the optimizer's state stay behind).

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
        from polyvox.finetune.source import read_training_checkpoint
        from polyvox.pretrained import import_checkpoint

        if checkpoint.suffix == ".ckpt" and (own := read_training_checkpoint(checkpoint)) is not None:
            info = dict(own.metadata.info, steps=str(own.steps))
            saved = save_voice(output, own.generator, dataclasses.replace(own.metadata, info=info), half=half)
            typer.echo(
                f"wrote {saved}, the voice of step {own.steps} of a polyvox run ({', '.join(own.metadata.languages)}; "
                f"{len(own.metadata.speakers)} speakers; without its discriminator and optimizer state) {took(started)}"
            )
            return
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
