"""``polyvox distill``: any voice (a released Piper voice included) -> a fast polyvox student that reads the same text."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from polyvox.cli_support import Threads, Verbose, apply_threads, fail, run, setup_logging, took


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("distill")(distill_command)


def distill_command(
    source: Annotated[Path, typer.Option("--from", help="The voice to make fast: a polyvox voice (.safetensors) or a Piper voice (.onnx).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="The student's voice file to write (.safetensors).")],
    work: Annotated[
        Optional[Path], typer.Option(help="Corpus and training run, resumed by a second call (default: OUTPUT's name + .distill/).")
    ] = None,
    sentences: Annotated[Optional[int], typer.Option(help="Sentences each speaker speaks in each of its languages (default 800).")] = None,
    steps: Annotated[Optional[int], typer.Option(help="Training steps in all; a resumed run goes on to this (default 20000).")] = None,
    preset: Annotated[Optional[str], typer.Option(help="The student's size: tiny, small (default) or medium.")] = None,
    student: Annotated[
        str, typer.Option(help="whole: the preset's model learns the source's speech; decoder: the source keeps all but its decoder, "
                          "which the preset's fast decoder replaces; flow-decoder: the fast decoder replaces the flow too.")
    ] = "whole",
    seed: Annotated[int, typer.Option(help="Seed of the sentences, the source's noise and the student's start.")] = 0,
    discriminator_after: Annotated[
        Optional[int], typer.Option(help="Decoder students: the preset's discriminator joins after this many steps of "
                                    "spectral losses (default: never); a run made without one takes it from the step it reached.")
    ] = None,
    settings: Annotated[
        Optional[list[str]], typer.Option("--set", help="A student setting on top of the preset's, section.key=value "
                                          "(repeatable), e.g. model.decoder.balanced_upsampling=true; a decoder student "
                                          "takes model.decoder.* ones only.")
    ] = None,
    recordings: Annotated[
        Optional[Path], typer.Option(help="Decoder students: a manifest of recordings in the source's speakers and languages "
                                     "that the student learns to make (default: the source decoder's own speech).")
    ] = None,
    recording_latent: Annotated[
        str, typer.Option(help="With --recordings: what the student reads of each recording, posterior (the posterior encoder's "
                          "reading of it, sampled afresh each step, as voice training decodes) or synthesis (the latent the "
                          "source decodes for its sentence, timed as the recording).")
    ] = "posterior",
    decoder_from_source: Annotated[
        bool, typer.Option("--decoder-from-source", help="Decoder students: start from the source's own decoder (same "
                           "architecture; new parts such as a harmonic source start silent) instead of fresh weights.")
    ] = False,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an existing voice file at OUTPUT.")] = False,
    threads: Threads = None,
    verbose: Verbose = True,
) -> None:
    """Make a voice fast: the source voice speaks a corpus, and a student with polyvox's fast decoder learns from it,
    keeping the source's languages, speakers and symbols. Stop it at any time: the same command goes on where it stopped."""
    setup_logging(verbose)
    if output.exists() and not overwrite:
        fail(f"{output} already exists: pass --overwrite to replace it, or -o another name")
    apply_threads(threads)
    started = time.monotonic()

    def work_command() -> None:
        from polyvox.distill import DistillOptions, distill

        given = {"sentences_per_speaker": sentences, "steps": steps, "preset": preset}
        given = {name: value for name, value in given.items() if value is not None}
        options = DistillOptions(source, output, work=work, seed=seed, overwrite=overwrite, student=student,
                                 overrides=tuple(settings or ()), discriminator_after=discriminator_after,
                                 recordings=recordings, recording_latent=recording_latent,
                                 decoder_from_source=decoder_from_source, **given)
        typer.echo(f"distilling {source} in {options.work_folder}")
        result = distill(options)
        typer.echo(result.summary)
        done = "the run had already reached --steps" if result.already_complete else f"trained to step {result.steps}"
        typer.echo(f"{done} {took(started)}; wrote {result.output}, the student")

    run(work_command, on_interrupt="the same command continues from the corpus clips and the newest checkpoint in the work folder")
