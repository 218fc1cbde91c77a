"""``polyvox evaluate``: objective metrics of synthesized speech against recordings of the same sentences."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from polyvox.cli_support import Threads, Verbose, apply_threads, check_speech_options, fail, run, setup_logging, took
from polyvox.speech_request import DEFAULTS, SPECS, SpeechRequest

if TYPE_CHECKING:
    from polyvox.evaluation.sources import AudioSource


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("evaluate")(evaluate)


def evaluate(
    # Given as required; the default None lets the former --references stand in for it (_recordings_option).
    recordings: Annotated[
        Optional[Path],
        typer.Option("--recordings", "-r", help="Manifest (.jsonl) of recordings and their texts: the ground truth. Required."),
    ] = None,
    output: Annotated[Path, typer.Option("-o", "--output", help="Report folder: report.json, report.md, figures.")] = ...,
    voice: Annotated[Optional[Path], typer.Option(help="Voice file that speaks each recording's text.")] = None,
    synthesized: Annotated[
        Optional[Path], typer.Option(help="Folder of clips made elsewhere, one per recording: <recording file name>.wav.")
    ] = None,
    baseline: Annotated[
        Optional[list[str]],
        typer.Option(help="Also score a baseline of --voice: copy (copy-synthesis), aligned (text-to-speech with the recording's durations) or untrained. Repeatable."),
    ] = None,
    speaker: Annotated[
        Optional[str], typer.Option(help="Speak every recording's text with this speaker of the voice (default: the recording's own).")
    ] = None,
    limit: Annotated[Optional[int], typer.Option(help="At most this many recordings per language.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the synthesis noise (and of the untrained baseline's weights).")] = 0,
    noise_scale: Annotated[Optional[float], typer.Option(help=SPECS["noise_scale"].help())] = DEFAULTS["noise_scale"],
    noise_scale_duration: Annotated[Optional[float], typer.Option(help=SPECS["noise_scale_duration"].help())] = DEFAULTS["noise_scale_duration"],
    sample_rate: Annotated[
        Optional[int], typer.Option(help="Rate clips are compared at (default: the voice's; 22050 with --synthesized).")
    ] = None,
    examples: Annotated[int, typer.Option(help="Spectrogram figures to draw (spread over the languages).")] = 3,
    asr: Annotated[
        Optional[Path],
        typer.Option(help="Whisper model folder (CTranslate2 or transformers): report each system's and the recordings' "
                     "character and word error rates. Needs the 'listen' extra."),
    ] = None,
    dnsmos: Annotated[
        bool, typer.Option("--dnsmos", help="Also rate every clip with DNSMOS (SIG, BAK, OVRL; the 'listen' extra).")
    ] = False,
    listener_threads: Annotated[int, typer.Option(help="CPU threads of the recognizer and DNSMOS.")] = 1,
    text_features: Annotated[
        Optional[Path],
        typer.Option(help="The local model folder (BERT family) a voice trained with text features reads each sentence with "
                     "(polyvox train --text-features); the voice refuses any other."),
    ] = None,
    threads: Threads = None,
    verbose: Verbose = False,
    references: Annotated[Optional[Path], typer.Option("--references", hidden=True, help="Deprecated name of --recordings.")] = None,
) -> None:
    """Score synthesized speech against recordings of the same sentences: MCD-DTW, F0 RMSE, V/UV error, duration ratio,
    per language and per speaker; with --asr and --dnsmos, also what a listener makes of every clip.
    Writes a report folder and prints a summary per language."""
    setup_logging(verbose)
    recordings = _recordings_option(recordings, references)
    if (voice is None) == (synthesized is None):
        fail("give exactly one of --voice VOICE (synthesize each recording's text) or --synthesized FOLDER")
    if baseline and voice is None:
        fail("--baseline needs --voice: the baselines are built from the voice")
    options = {"seed": seed, "noise_scale": noise_scale, "noise_scale_duration": noise_scale_duration}
    check_speech_options(options)
    apply_threads(threads)  # torch's; --listener-threads are the recognizer's and DNSMOS's own
    started = time.monotonic()

    def work() -> None:
        from polyvox.data.manifest import read_manifest
        from polyvox.evaluation.listener import Listener
        from polyvox.evaluation.report import listener_summary, summary_table, write_report
        from polyvox.evaluation.run import evaluate as run_evaluation
        from polyvox.evaluation.sources import FolderSource

        utterances = read_manifest(recordings)
        info: dict[str, str] = {"recordings": str(recordings)}
        sources: list[AudioSource]
        audio_dir: Path | None = None
        if voice is not None:  # loaded before the listener: a voice that cannot speak is refused at once
            sources, rate = _voice_sources(voice, baseline or [], speaker, SpeechRequest(**options), info, text_features)
            if sample_rate is not None and sample_rate != rate:
                fail(f"--sample-rate {sample_rate} differs from the voice's {rate} Hz; leave it out with --voice")
            audio_dir = output / "audio"
        elif synthesized is not None:
            rate = sample_rate or 22050
            sources = [FolderSource(synthesized, rate)]
            info["synthesized"] = str(synthesized)
        listener = Listener.load(asr, dnsmos, listener_threads) if asr is not None or dnsmos else None
        result = run_evaluation(utterances, sources, rate, limit, examples, audio_dir, listener=listener)
        files = write_report(result, output, info)
        typer.echo(summary_table(result))
        if listener is not None:
            typer.echo(listener_summary(result))
        typer.echo(f"wrote the report {files.markdown} (all figures and per-utterance scores in {files.json.name}) {took(started)}")

    run(work)


def _recordings_option(recordings: Path | None, references: Path | None) -> Path:
    """--recordings, or the former --references (it meant the ground truth, which synthesis calls a recording:
    there a reference is a timbre clip, say --reference)."""
    if references is not None:
        typer.echo("warning: --references is deprecated; use --recordings (-r)", err=True)
        if recordings is not None:
            fail("give --recordings only (--references is its former name)")
    chosen = recordings if recordings is not None else references
    if chosen is None:
        fail("missing option --recordings (-r): the manifest of recordings and their texts")
    return chosen


def _voice_sources(
    voice_path: Path,
    baselines: list[str],
    speaker: str | None,
    options: SpeechRequest,
    info: dict[str, str],
    text_features: Path | None = None,
) -> tuple[list[AudioSource], int]:
    from polyvox.evaluation.baselines import baseline_sources
    from polyvox.evaluation.sources import VoiceSource
    from polyvox.inference.voice import Voice

    loaded = Voice.load(voice_path, text_features=text_features, text_features_option="polyvox evaluate --text-features FOLDER")
    info["voice"] = str(voice_path)
    info["voice_steps"] = str(loaded.metadata.info.get("steps", "unknown"))
    info["seed"] = str(options.seed)
    main = VoiceSource(loaded, "voice", speaker, options)
    return [main, *baseline_sources(baselines, main)], loaded.sample_rate
