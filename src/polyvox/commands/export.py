"""``polyvox export``: a voice file -> ONNX graphs and ``voice.onnx.json`` for onnxruntime (``say --engine onnx``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from polyvox.cli_support import DEFAULT_VOICE, Verbose, fail, run, setup_logging


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("export")(export)


def export(
    voice: Annotated[Optional[Path], typer.Argument(help="Voice file (.safetensors); default: the bundled voice.")] = None,
    output: Annotated[Path, typer.Option("-o", "--output", help="The full graph, e.g. voice.onnx; the others go next to it.")] = Path("voice.onnx"),
    opset: Annotated[int, typer.Option(help="ONNX opset of the graphs.")] = 17,
    verbose: Verbose = False,
) -> None:
    """Export VOICE to ONNX: OUTPUT (text -> audio in one graph), OUTPUT's .encoder.onnx and .decoder.onnx
    (the two stages, for streaming) and OUTPUT.json (symbols, languages, speakers, audio and default scales)."""
    setup_logging(verbose)
    if output.suffix != ".onnx":
        fail(f"-o must name the full graph's .onnx file (e.g. voice.onnx), got {output}")

    def work() -> None:
        from polyvox.export.onnx_export import export_onnx

        exported = export_onnx(voice or DEFAULT_VOICE, output, opset)
        for path in (*exported.graph_paths.values(), exported.metadata_path):
            typer.echo(str(path))

    from polyvox.export.metadata import OnnxVoiceError
    from polyvox.export.onnx_export import OnnxExportError

    run(work, extra_errors=(OnnxExportError, OnnxVoiceError))
