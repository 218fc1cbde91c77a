"""``polyvox finetune``: a trained voice + a little data -> a new speaker, or a new language."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from polyvox.cli_support import DEFAULT_VOICE, Threads, Verbose, apply_threads, run, setup_logging, took, training_processes
from polyvox.commands.train import NOTHING_TO_MATCH, TextFeatures, text_feature_settings


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("finetune")(finetune_command)


def finetune_command(
    data: Annotated[Path, typer.Option("--data", "-d", help="Manifest (.jsonl) of the new speaker or language.")],
    source: Annotated[
        Optional[Path],
        typer.Option("--from", help="Voice (.safetensors), training checkpoint (.ckpt) or importable checkpoint; default: the bundled voice."),
    ] = None,
    output: Annotated[Optional[Path], typer.Option("-o", "--output", help="Voice file to write (the best validation step); default: RUN_DIR/finetuned.safetensors.")] = None,
    run_dir: Annotated[Path, typer.Option(help="Run folder: features, checkpoints, logs, load_report.json.")] = Path("runs/finetune"),
    freeze: Annotated[
        Optional[str], typer.Option(help="What trains: voice (default), language (default with --add-language), keep-decoder (all but the decoder), text (only the text encoder, duration predictors and speaker table), timbre (only the speaker table, posterior encoder, flow and reference encoder), prior (only the text encoder, duration predictors and flow; a step skips the decoder and discriminator), decoder (only the decoder) or all.")
    ] = None,
    steps: Annotated[Optional[int], typer.Option(help="Training steps (default 2000).")] = None,
    learning_rate: Annotated[Optional[float], typer.Option(help="Learning rate (default 2e-5).")] = None,
    speaker: Annotated[Optional[str], typer.Option(help="Fine-tune only this speaker of a multi-speaker --data manifest.")] = None,
    add_language: Annotated[Optional[str], typer.Option(help="Teach the voice this language, or several: es,fr (their clips are in --data).")] = None,
    replay: Annotated[Optional[Path], typer.Option(help="Manifest of the voice's own languages, mixed in so they are not forgotten.")] = None,
    language_init: Annotated[
        Optional[str], typer.Option(help="A language of the voice the new language's row starts from (default: the mean).")
    ] = None,
    language_temperature: Annotated[
        Optional[float], typer.Option(help="Language sampling: p ∝ clips^(1/T); 1 = proportional, large = uniform (default 3).")
    ] = None,
    set_values: Annotated[Optional[list[str]], typer.Option("--set", help="Override, e.g. --set training.batch_size=4.")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue the newest checkpoint in --run-dir.")] = False,
    source_config: Annotated[Optional[Path], typer.Option(help="Config file of an imported (non-polyvox) checkpoint.")] = None,
    phoneme_map: Annotated[Optional[Path], typer.Option(help="Phoneme map of an imported (non-polyvox) checkpoint.")] = None,
    source_language: Annotated[
        Optional[str], typer.Option(help="Language of an imported checkpoint, when its files do not say.")
    ] = None,
    listener: Annotated[
        Optional[Path],
        typer.Option(help="A local Whisper model folder: keep the step whose held-out sentences it understands best, not the lowest mel loss."),
    ] = None,
    discriminator_from: Annotated[
        Optional[Path],
        typer.Option(help="A training checkpoint (RUN/checkpoints/step-N.ckpt) whose trained discriminator the run starts with, from step 0 (for a voice whose decoder is new to it: a decoder graft)."),
    ] = None,
    held_out: Annotated[
        Optional[int],
        typer.Option(min=1, help="Clips of each language held out for validation and the --listener's choice of step (default 2)."),
    ] = None,
    full_precision: Annotated[
        bool, typer.Option("--full-precision", help="Write the voice's weights as float32 (default: float16, half the file).")
    ] = False,
    warmup_steps: Annotated[
        Optional[int],
        typer.Option(help="Steps of each warm-up stage that first trains an imported voice's untrained parts alone (its posterior encoder on the voice's own speech, then on your data); 0 skips it (default 400)."),
    ] = None,
    warmup_learning_rate: Annotated[Optional[float], typer.Option(help="Learning rate of that warm-up (default 2e-4).")] = None,
    match_pitch: Annotated[
        bool, typer.Option("--match-pitch", help="Store each new speaker's pitch gap to its recordings in the voice, closed by WORLD whenever it speaks (costs some sound quality); without it the gap is only reported.")
    ] = False,
    match_style: Annotated[
        bool, typer.Option("--match-style", help="Store what each style label misses of its recordings' shift from neutral (pitch, range, whisper, level) in the voice, applied by WORLD whenever the label is asked for (costs some sound quality); without it the gap is only reported.")
    ] = False,
    text_features: TextFeatures = None,
    accelerator: Annotated[str, typer.Option(help="cpu, gpu or auto (Lightning).")] = "cpu",
    devices: Annotated[str, typer.Option(help="1 or 'auto': fine-tuning runs in one process (one device).")] = "1",
    threads: Threads = None,
    verbose: Verbose = True,
) -> None:
    """Fine-tune a trained voice: a new speaker from a few minutes of audio, or a new language with replay."""
    setup_logging(verbose)
    apply_threads(threads, training_processes(accelerator, devices), "--devices", lower_processes=False)
    started = time.monotonic()

    def work() -> None:
        from polyvox.finetune import FinetuneOptions, plan_finetune, run_finetune
        from polyvox.finetune.run import one_process

        one_process(devices)  # before the plan writes anything into the run folder

        options = FinetuneOptions(
            freeze=freeze, steps=steps, learning_rate=learning_rate, speaker=speaker, add_language=add_language,
            replay=replay, language_init=language_init, language_temperature=language_temperature,
            overrides=(*text_feature_settings(text_features), *(set_values or ())), resume=resume, source_config=source_config, phoneme_map=phoneme_map,
            source_language=source_language, listener=listener, full_precision=full_precision,
            discriminator_from=discriminator_from, warmup_steps=warmup_steps, warmup_learning_rate=warmup_learning_rate, match_pitch=match_pitch,
            match_style=match_style,
            **({} if held_out is None else {"validation_per_language": held_out}),
        )
        target = output or run_dir / "finetuned.safetensors"
        plan = plan_finetune(source or DEFAULT_VOICE, data, target, run_dir, options)
        if resume:
            typer.echo(f"resuming the run in {run_dir}: weights come from its newest checkpoint")
        else:
            for line in [*plan.report.legend(), *plan.report.lines()]:
                typer.echo(line)
        for summary in plan.presets:
            chosen = "*" if summary.preset == plan.freeze.preset else " "
            typer.echo(f"{chosen} --freeze {summary.preset:<12} {summary.trainable_parameters:>12,} of {summary.total_parameters:,} parameters train")
        typer.echo(plan.freeze.describe())
        result = run_finetune(plan, progress=True, accelerator=accelerator, devices=int(devices) if devices.isdigit() else devices)
        best = "the last step (nothing held out)" if result.best_step is None else (
            f"step {result.best_step} (mean validation {result.best_figure.replace('_', ' ')} {result.best_score:.4g})"
        )
        weights = "float32" if full_precision else "float16"
        size_mb = result.voice_path.stat().st_size / 1e6
        for match in result.pitch:
            typer.echo(f"pitch: {match.describe()}")
        for style_match in result.style:
            typer.echo(f"style: {style_match.describe()}")
        if match_style and not result.style:
            typer.echo(f"style: nothing measured or stored: {NOTHING_TO_MATCH}")
        typer.echo(f"fine-tuned {result.steps} steps {took(started)}; wrote {result.voice_path}, the voice to use ({best}; {weights}, {size_mb:.1f} MB)")

    run(work, on_interrupt=f"the same command with --resume continues the run in {run_dir} from its newest checkpoint")
