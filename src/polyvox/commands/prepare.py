"""``polyvox prepare``: raw recordings to a training-ready manifest, with a report of what was done."""

from __future__ import annotations

import time
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from polyvox.cli_support import DEFAULT_VOICE, Threads, Verbose, apply_threads, run, setup_logging, took


class FlaggedPolicy(str, Enum):
    drop = "drop"
    keep = "keep"


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command()(prepare)


def prepare(
    source: Annotated[
        Path,
        typer.Argument(
            help="A recording, a folder of clips (LJSpeech layout or transcripts beside the audio), or a CSV/JSONL of audio paths and texts."
        ),
    ],
    output: Annotated[Path, typer.Option("-o", "--output", help="Folder for manifest.jsonl, wavs/ and the report.")],
    lang: Annotated[
        str, typer.Option("--lang", "-l", help="Language of the recordings (a list's 'language' column wins).")
    ] = "en",
    speaker: Annotated[Optional[str], typer.Option(help="One speaker name for all; default: sub-folder or file name.")] = None,
    transcript: Annotated[
        Optional[Path], typer.Option(help="Transcript of a single recording: one sentence per line, or plain text.")
    ] = None,
    voice: Annotated[
        Optional[Path],
        typer.Option(help="Voice the data is for (sample rate, minimum length, symbols); default: the bundled voice."),
    ] = None,
    min_clip: Annotated[float, typer.Option(help="Shortest clip in seconds (never below the model's minimum).")] = 0.5,
    max_clip: Annotated[float, typer.Option(help="Longest clip in seconds; longer recordings are sliced at pauses.")] = 15.0,
    min_pause: Annotated[float, typer.Option(help="Shortest pause, in seconds, a long recording is sliced at.")] = 0.4,
    loudness: Annotated[float, typer.Option(help="Target integrated loudness in LUFS.")] = -23.0,
    normalise: Annotated[bool, typer.Option("--normalise/--no-normalise", help="Normalise loudness.")] = True,
    denoise: Annotated[
        bool, typer.Option("--denoise/--no-denoise", help="Reduce stationary noise (hum, hiss); off by default, it can add artefacts.")
    ] = False,
    trim: Annotated[bool, typer.Option("--trim/--no-trim", help="Trim silence around each clip to --keep-silence.")] = True,
    keep_silence: Annotated[float, typer.Option(help="Silence kept before and after the speech of a clip, in seconds.")] = 0.1,
    vad_aggressiveness: Annotated[int, typer.Option(help="Voice-activity detection strictness, 0-3.")] = 2,
    min_snr: Annotated[float, typer.Option(help="Clips below this signal-to-noise ratio (dB) are flagged.")] = 15.0,
    flagged: Annotated[
        FlaggedPolicy,
        typer.Option(help="What to do with flagged clips: drop them from the manifest, or keep them. Both are listed in the report."),
    ] = FlaggedPolicy.drop,
    whisper_model: Annotated[
        Optional[Path],
        typer.Option(help="Folder of a local Whisper model to transcribe clips without a transcript (needs the 'transcribe' extra)."),
    ] = None,
    append: Annotated[
        bool, typer.Option("--append", help="Add to the dataset already in the output folder instead of refusing to replace it.")
    ] = False,
    workers: Annotated[
        Optional[int],
        typer.Option(min=1, help="Recordings processed in parallel, by processes that share --threads (default: one per thread)."),
    ] = None,
    threads: Threads = None,
    verbose: Verbose = False,
) -> None:
    """Turn raw recordings into a training-ready manifest: resample, down-mix, normalise, slice at pauses, check, report."""
    setup_logging(verbose)
    plan = apply_threads(threads, workers, "--workers", torch_now=False)  # workers read it from the environment
    started = time.monotonic()

    def work() -> None:
        from polyvox.prepare import AudioSettings, CheckSettings, PrepareSettings
        from polyvox.prepare.pipeline import prepare_dataset
        from polyvox.prepare.voice_target import voice_target

        settings = PrepareSettings(
            audio=AudioSettings(
                target_lufs=loudness if normalise else None,
                denoise=denoise,
                trim_silence=trim,
                keep_silence_s=keep_silence,
                vad_aggressiveness=vad_aggressiveness,
                min_pause_s=min_pause,
                min_clip_s=min_clip,
                max_clip_s=max_clip,
            ),
            checks=CheckSettings(min_snr_db=min_snr),
            flagged=flagged.value,
            workers=plan.processes,
        )
        settings.audio.validate()
        if whisper_model is None:
            _require_some_transcript(source, lang, speaker, transcript, output)
        target = voice_target(voice or DEFAULT_VOICE)
        report = prepare_dataset(source, output, target, settings, lang, speaker, transcript, whisper_model, append=append)
        typer.echo(report.summary())
        minutes = report.duration_in_manifest_s / 60
        typer.echo(f"wrote {report.manifest}: {report.clips_in_manifest} clips ({minutes:.1f} min) {took(started)}")

    run(work)


def _require_some_transcript(source: Path, lang: str, speaker: Optional[str], transcript: Optional[Path], output: Path) -> None:
    """Stop before any work when no recording has a text and none can be transcribed: the manifest would be empty."""
    from polyvox.prepare.errors import PrepareError
    from polyvox.prepare.inputs import iter_sources

    # Read a recording at a time: the first with a text ends the check.
    count = 0
    for recording in iter_sources(source, lang, speaker, transcript, exclude=output):
        if recording.text is not None:
            return
        count += 1
    raise PrepareError(
        f"none of the {count} recording(s) of {source} has a transcript, so no clip could be trained on; "
        "give the texts as --transcript FILE (one recording), a .txt file of the same name beside each audio file, "
        "a CSV or JSONL list of audio paths and texts as the input, or transcribe them with --whisper-model FOLDER"
    )
