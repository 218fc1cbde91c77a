"""``polyvox export``: a voice file -> ONNX graphs and ``voice.onnx.json`` for onnxruntime (``say --engine onnx``)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from polyvox.cli_support import DEFAULT_VOICE, Threads, Verbose, apply_threads, fail, run, setup_logging, took


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("export")(export)


def export(
    voice: Annotated[Optional[Path], typer.Argument(help="Voice file (.safetensors); default: the bundled voice.")] = None,
    output: Annotated[Path, typer.Option("-o", "--output", help="The full graph, e.g. voice.onnx; the others go next to it.")] = Path("voice.onnx"),
    opset: Annotated[int, typer.Option(help="ONNX opset of the graphs (13: also runs on onnxruntime-mobile's reduced build).")] = 13,
    quantize: Annotated[Optional[str], typer.Option("--quantize", help="Store the weights as int8 (1/4 the size) or fp16 (1/2); computed in float32 (docs/onnx.md).")] = None,
    web: Annotated[Optional[Path], typer.Option("--web", help="Write a static page into this folder that speaks in the browser (docs/web.md); -o is not used.")] = None,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace files an earlier export left at OUTPUT (or in the --web folder).")] = False,
    threads: Threads = None,
    verbose: Verbose = False,
) -> None:
    """Export VOICE to ONNX: OUTPUT (text -> audio in one graph), OUTPUT's .encoder.onnx and .decoder.onnx
    (the two stages, for streaming) and OUTPUT.json (symbols, languages, speakers, audio and default scales; a voice
    trained with text features: its model, which say --engine onnx --text-features then checks). Operators that onnxruntime-web or onnxruntime-mobile lacks are warned of, one line each."""
    setup_logging(verbose)
    if quantize is not None:
        from polyvox.export.quantize import QuantizeError, check_quantization

        try:
            check_quantization(quantize)
        except QuantizeError as error:
            fail(str(error))
    source = voice or DEFAULT_VOICE
    if web is not None and source.is_file():  # a missing or broken file is reported by the export itself
        from polyvox.export.web_export import web_refusal

        refusal = run(lambda: web_refusal(source))
        if refusal is not None:
            fail(refusal)
    if web is not None:
        _export_web(voice, web, opset, quantize, threads, overwrite)
        return
    if output.suffix != ".onnx":
        fail(f"-o must name the full graph's .onnx file (e.g. voice.onnx), got {output}")
    from polyvox.export.metadata import graph_file_names, metadata_path

    written = [output.with_name(name) for name in graph_file_names(output).values()] + [metadata_path(output)]
    existing = [str(path) for path in written if path.exists()]
    if existing and not overwrite:
        fail(f"{', '.join(existing)} already exist(s): pass --overwrite to replace them, or -o another name")

    apply_threads(threads)
    started = time.monotonic()

    def work() -> None:
        from polyvox.export.onnx_export import export_onnx

        exported = export_onnx(voice or DEFAULT_VOICE, output, opset, quantize)
        for path in (*exported.graph_paths.values(), exported.metadata_path):
            typer.echo(str(path))
        # On standard error: standard output lists only the files written, for scripts.
        graphs = len(exported.graph_paths)
        typer.echo(f"exported {voice or DEFAULT_VOICE}: {graphs} ONNX graphs and {exported.metadata_path.name} beside {output} {took(started)}", err=True)

    run(work)


def _export_web(
    voice: Optional[Path], directory: Path, opset: int, quantize: Optional[str], threads: Optional[int], overwrite: bool
) -> None:
    """``--web DIR``: the page, its modules, the graphs and the vendored runtime in DIR."""
    from polyvox.export.web_export import NPM_COMMAND, missing_runtime

    if missing_runtime():  # before any work, in one line: the runtime is an npm install, not in git
        fail(f"the browser runtime is not installed: run `{NPM_COMMAND}` first (docs/web.md)")
    if directory.is_dir() and any(directory.iterdir()) and not overwrite:
        fail(f"{directory} is not empty: pass --overwrite to replace an earlier page there, or --web another folder")
    apply_threads(threads)
    started = time.monotonic()

    def work() -> None:
        from polyvox.export.web_export import export_web

        page = export_web(voice or DEFAULT_VOICE, directory, opset, quantize)
        for path in page.files:
            typer.echo(str(path))
        typer.echo(f"wrote {page.index}: serve {directory} over http (python -m http.server -d {directory}) and open it {took(started)}", err=True)

    run(work)
