"""``polyvox features``: a run's feature cache built ahead of training, in one pass or in shards on several machines."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from polyvox.cli_support import Threads, Verbose, apply_threads, run, setup_logging, took


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("features")(features)


def features(
    data: Annotated[Path, typer.Option("--data", "-d", help="Manifest (.jsonl) the run will train on.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Run folder: the features go to its cache/ folder.")],
    preset: Annotated[Optional[str], typer.Option(help="Model size whose audio settings to use: tiny, small or medium [default: small].")] = None,
    config: Annotated[Optional[Path], typer.Option(help="Config file (.json or .toml) over the preset, as for train.")] = None,
    set_values: Annotated[Optional[list[str]], typer.Option("--set", help="Override, e.g. --set audio.sample_rate=24000.")] = None,
    shard: Annotated[str, typer.Option(help="I/N: only every N-th clip from the I-th (one shard per machine; copy the caches together).")] = "1/1",
    workers: Annotated[Optional[int], typer.Option(help="Processes computing features [default: training.feature_workers].")] = None,
    threads: Threads = None,
    verbose: Verbose = True,
) -> None:
    """Compute a run's features (waveform and mel of every clip) before training: streamed from the manifest, so a
    corpus of hundreds of hours takes no more memory than a small one; `train -o RUN` then reads them."""
    setup_logging(verbose)
    apply_threads(threads, workers if workers is not None else 1, "--workers")
    started = time.monotonic()

    def work() -> None:
        from polyvox.config_files import load_config
        from polyvox.data.feature_shards import build_feature_shard, cache_for, parse_shard
        from polyvox.data.manifest import require_manifest

        part = parse_shard(shard)
        manifest = require_manifest(data)
        voice_config = load_config(config, preset, set_values or [], None)
        training = voice_config.training
        cache = cache_for(output / "cache", voice_config.audio, training.silence_rms_threshold, training.max_clip_s, manifest)
        report = build_feature_shard(manifest, cache, part, workers or training.feature_workers)
        typer.echo(f"shard {shard}: {report.summary()} {took(started)}; in {cache.cache_dir}")

    run(work, on_interrupt="the same command goes on: clips already cached are not computed again")
