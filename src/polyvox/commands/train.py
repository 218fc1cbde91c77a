"""``polyvox train``: train a voice on a manifest (or only check the set-up with ``--overfit-batch``)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from polyvox.cli_support import Threads, Verbose, apply_threads, run, setup_logging, took, training_processes

# Shared with polyvox finetune.
TextFeatures = Annotated[
    Optional[Path],
    typer.Option(help="Train with text features: a local BERT-family model folder (Hugging Face layout) whose per-word "
                 "features of each sentence the text encoder reads (docs/training.md). The voice then needs it to speak."),
]


def text_feature_settings(folder: Path | None) -> list[str]:
    """The ``--set`` values of ``--text-features FOLDER`` (none without it); an unusable folder is a one-line error."""
    if folder is None:
        return []
    from polyvox.text.text_features import text_feature_overrides

    return text_feature_overrides(folder)


# --match-style compares each label with the neutral one, in the voice's speech and in the data's clips.
NOTHING_TO_MATCH = "--match-style needs a voice with style labels, one of them 'neutral', and clips of each in the data"


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("train")(train)


def train(
    data: Annotated[Path, typer.Option("--data", "-d", help="Manifest (.jsonl) to train on.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Run folder: checkpoints, logs, voice.safetensors.")],
    preset: Annotated[
        Optional[str], typer.Option(help="Model size: tiny, small or medium [default: small; with --resume, the run's own].")
    ] = None,
    config: Annotated[
        Optional[Path], typer.Option(help="Config file (.json or .toml) over the preset (with --resume, over the run's own).")
    ] = None,
    set_values: Annotated[Optional[list[str]], typer.Option("--set", help="Override, e.g. --set training.batch_size=8.")] = None,
    max_steps: Annotated[Optional[int], typer.Option(help="Stop after this many steps.")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue from the newest checkpoint in the run folder.")] = False,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Replace the run already in the output folder (its checkpoints, voice and logs).")
    ] = False,
    init_from: Annotated[Optional[Path], typer.Option(help="Start from this voice file's weights and tables.")] = None,
    accelerator: Annotated[
        Optional[str], typer.Option(help="cpu, gpu or auto (Lightning) [default: training.accelerator, cpu].")
    ] = None,
    devices: Annotated[Optional[str], typer.Option(help="Number of devices or 'auto' [default: training.devices, 1].")] = None,
    nodes: Annotated[
        Optional[int],
        typer.Option(help="Machines training together (each runs the same command; see docs/training.md) [default: training.nodes, 1]."),
    ] = None,
    strategy: Annotated[
        Optional[str], typer.Option(help="auto, ddp (Lightning's distributed data parallel) or fsdp (parameters, gradients and optimizer states sharded over the processes) [default: training.strategy, auto].")
    ] = None,
    overfit_batch: Annotated[
        bool,
        typer.Option(
            "--overfit-batch",
            help="Check the set-up instead of training: fit one batch (no discriminator); exit 1 if the mel loss does not fall.",
        ),
    ] = False,
    # Default: DEFAULT_OVERFIT_STEPS of train/overfit.py (not imported here: it needs torch).
    overfit_steps: Annotated[int, typer.Option(help="Steps for --overfit-batch.")] = 300,
    match_style: Annotated[
        bool, typer.Option("--match-style", help="Store what each style label misses of its clips' shift from neutral (pitch, range, whisper, level) in the voice, applied by WORLD whenever the label is asked for (costs some sound quality); without it the gap is only reported.")
    ] = False,
    text_features: TextFeatures = None,
    threads: Threads = None,
    verbose: Verbose = True,
) -> None:
    """Train a voice on a manifest."""
    setup_logging(verbose)
    apply_threads(threads, training_processes(accelerator or "cpu", devices or "1"), "--devices", lower_processes=False)
    started = time.monotonic()

    if overfit_batch:
        def check() -> bool:
            from polyvox.config_files import load_config
            from polyvox.train.overfit import overfit_batch as run_overfit

            overrides = [*text_feature_settings(text_features), *(set_values or [])]
            result = run_overfit(data, output, load_config(config, preset, overrides, max_steps), overfit_steps, progress=True)
            typer.echo(result.verdict())
            return result.passed

        if not run(check):
            raise typer.Exit(code=1)
        return

    def work() -> None:
        from polyvox.config_files import load_config
        from polyvox.train.run import train as train_voice
        from polyvox.train.run_config import stored_run_config

        # A resumed run starts from its own config: only the options given here are compared with it.
        own = stored_run_config(output) if resume else None
        overrides = [*text_feature_settings(text_features), *(set_values or [])]
        voice_config = load_config(config, preset, overrides, max_steps, base=own)
        given = voice_config.training
        if accelerator is None and devices is None and (given.accelerator, given.devices) != ("cpu", 1):
            # The config asks for other processes: the threads are divided among them as --devices would.
            apply_threads(threads, training_processes(given.accelerator, str(given.devices)), "training.devices", lower_processes=False)
        result = train_voice(
            data, output, voice_config, resume=resume, accelerator=accelerator, init_from=init_from,
            devices=(int(devices) if devices.isdigit() else devices) if devices is not None else None, overwrite=overwrite,
            nodes=nodes, strategy=strategy, match_style=match_style,
        )
        from polyvox.train.ranks import is_follower

        if is_follower():
            return  # rank 0 reports the run
        if result.already_complete:
            typer.echo(f"the run is complete ({result.steps} steps); voice: {result.voice_path}")
            return
        for style_match in result.style:
            typer.echo(f"style: {style_match.describe()}")
        if match_style and not result.style:
            typer.echo(f"style: nothing measured or stored: {NOTHING_TO_MATCH}")
        typer.echo(f"trained {result.steps} steps {took(started)}; voice: {result.voice_path}")

    run(work, on_interrupt=f"polyvox train -d {data} -o {output} --resume continues the run from its newest checkpoint")
