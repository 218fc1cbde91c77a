"""The ``polyvox`` command: say, corpus, import, train, doctor; the other commands live in ``polyvox.commands``."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Annotated, Any, Optional, cast

import typer

from polyvox.cli_support import DEFAULT_VOICE, HELP_SETTINGS, OneLineUsageErrors, Threads, Verbose, check_speech_options
from polyvox.cli_support import apply_threads as _apply_threads
from polyvox.cli_support import fail as _fail
from polyvox.cli_support import run as _run
from polyvox.cli_support import setup_logging as _setup_logging
from polyvox.cli_support import took, training_processes
from polyvox.inference.precisions import precision_option_error
from polyvox.speech_request import DEFAULTS, SPECS, SpeechRequest

app = typer.Typer(
    help="polyvox: multilingual text-to-speech. Prepare data, train voices, speak.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    cls=OneLineUsageErrors,
    **HELP_SETTINGS,
)
from polyvox.commands import COMMAND_MODULES  # noqa: E402  (after app: modules only add commands)

import_app = typer.Typer(help="Turn an existing dataset layout into a polyvox manifest.", no_args_is_help=True, **HELP_SETTINGS)
app.add_typer(import_app, name="import")



def _read_text(text: Optional[str], text_file: Optional[Path]) -> str:
    if text_file is not None:
        try:
            return text_file.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            _fail(f"text file {text_file} is not UTF-8 text (byte 0x{error.object[error.start]:02x} at offset {error.start}); save it as UTF-8")
        except OSError as error:
            _fail(f"cannot read text file {text_file}: {error.strerror}")
    if text is None or text == "-":
        if sys.stdin.isatty():
            _fail("no text given: pass TEXT, --text-file FILE, or pipe text on standard input")
        return sys.stdin.read()
    return text


def _voice_loader(voice_path: Path, engine: str = "torch", precision: str = "float32", threads: int | None = None) -> Any:
    """A picklable callable that loads the voice: run here, and in each ``--batch`` worker.
    ``threads``: onnxruntime's per graph (torch's are set process-wide by the command)."""
    from functools import partial

    if engine == "onnx":
        from polyvox.inference.onnx_voice import OnnxVoice

        return partial(OnnxVoice.load, voice_path, threads=threads)
    from polyvox.inference.voice import Voice

    return partial(Voice.load, voice_path, precision=precision)


def _check_say_modes(text_given: bool, output: Optional[Path], stream: bool, batch: Optional[Path]) -> None:
    if batch is not None and text_given:
        _fail("give either TEXT (or --text-file) or --batch FILE, not both")
    if batch is not None and stream:
        _fail("--batch writes files; it cannot be combined with --stream")
    if stream and output is not None:
        _fail("--stream writes raw audio to standard output; drop -o (or drop --stream to write a WAV file)")
    if stream and sys.stdout.isatty():
        _fail("--stream writes raw audio; pipe it to a player, e.g. polyvox say --stream TEXT | aplay -r 22050 -f S16_LE")
    if output is None and not stream:
        _fail("no output: add -o FOLDER for --batch" if batch is not None else "no output file: add -o out.wav, or --stream to play it as it is spoken")


def _write_stream(chunks: Any) -> None:
    """Raw 16-bit little-endian mono PCM on standard output, flushed chunk by chunk; a closed pipe ends quietly."""
    from polyvox.server.audio_encoding import to_pcm16

    sink = sys.stdout.buffer
    try:
        for chunk in chunks:
            sink.write(to_pcm16(chunk))
            sink.flush()
    except BrokenPipeError:
        chunks.close()
        # The player is gone: point stdout at /dev/null so Python's final flush does not complain.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())


def _speak_batch(
    batch: Path, folder: Path, voice_path: Path, settings: Any, plan: Any, engine: str = "torch", precision: str = "float32"
) -> None:
    from polyvox.inference.batch import run_batch
    from polyvox.inference.batch_items import read_batch_items

    started = time.monotonic()
    load = _voice_loader(voice_path, engine, precision, plan.threads)
    report = run_batch(read_batch_items(batch), folder, load, settings, jobs=plan.processes, threads=plan.threads)
    for failure in report.failures:
        typer.echo(f"failed: {failure}", err=True)
    typer.echo(f"{report.summary(folder)} {took(started)}", err=True)
    if report.failures:
        _fail(f"{len(report.failures)} of {len(report.failures) + report.written + report.skipped} utterances failed; "
              "fix them and run again (finished files are kept)")


@app.command()
def say(
    text: Annotated[Optional[str], typer.Argument(help="Text to speak; '-' or nothing reads standard input.")] = None,
    output: Annotated[Optional[Path], typer.Option("-o", "--output", help="WAV file to write (a folder with --batch).")] = None,
    voice: Annotated[Optional[Path], typer.Option(help="Voice file (.safetensors); default: the bundled voice.")] = None,
    engine: Annotated[
        str, typer.Option(help="torch, or onnx: --voice is then an exported voice.onnx (polyvox export), run by onnxruntime.")
    ] = "torch",
    lang: Annotated[Optional[str], typer.Option("--lang", "-l", help=SPECS["language"].help())] = DEFAULTS["language"],
    speaker: Annotated[Optional[str], typer.Option(help=SPECS["speaker"].help())] = DEFAULTS["speaker"],
    reference: Annotated[Optional[Path], typer.Option(help=SPECS["reference"].help())] = DEFAULTS["reference"],
    speed: Annotated[float, typer.Option(help=SPECS["speed"].help())] = DEFAULTS["speed"],
    pitch: Annotated[float, typer.Option(help=SPECS["pitch"].help())] = DEFAULTS["pitch"],
    noise_scale: Annotated[float, typer.Option(help=SPECS["noise_scale"].help())] = DEFAULTS["noise_scale"],
    noise_scale_duration: Annotated[float, typer.Option(help=SPECS["noise_scale_duration"].help())] = DEFAULTS["noise_scale_duration"],
    seed: Annotated[Optional[int], typer.Option(help=SPECS["seed"].help())] = DEFAULTS["seed"],
    text_file: Annotated[Optional[Path], typer.Option("--text-file", "-f", help="Read the text from a file.")] = None,
    stream: Annotated[
        bool,
        typer.Option(
            "--stream",
            help="Write raw 16-bit little-endian mono PCM at the voice's rate (22050 Hz for the bundled voice) to "
            "standard output as it is spoken, e.g. | aplay -r 22050 -f S16_LE.",
        ),
    ] = False,
    batch: Annotated[
        Optional[Path],
        typer.Option(help="Speak each line of a .txt file (0001.wav, ...) or each record of a .jsonl file into the -o folder; "
                     "files already there are kept."),
    ] = None,
    jobs: Annotated[
        Optional[int],
        typer.Option(min=1, help="Processes speaking at once for --batch (this one and jobs - 1 workers); they share "
                     "--threads, one each by default."),
    ] = None,
    precision: Annotated[
        str,
        typer.Option(help="Decoder precision (torch engine): float32; bfloat16 (faster where the CPU has bfloat16 "
                     "instructions, ~40 dB from float32; docs/synthesis.md); auto picks bfloat16 only on such CPUs."),
    ] = "float32",
    list_speakers: Annotated[bool, typer.Option("--list-speakers", help="List the voice's speakers and exit.")] = False,
    list_languages: Annotated[bool, typer.Option("--list-languages", help="List the voice's languages and exit.")] = False,
    threads: Threads = None,
    verbose: Verbose = False,
) -> None:
    """Speak TEXT with a voice: a WAV file, a raw stream to a player, or a folder of files (--batch)."""
    _setup_logging(verbose)
    voice_path = voice or DEFAULT_VOICE
    if engine not in ("torch", "onnx"):
        _fail(f"--engine must be torch or onnx, got {engine!r}")
    if engine == "onnx" and voice is None:
        _fail("--engine onnx needs --voice voice.onnx; write one with: polyvox export -o voice.onnx")
    precision_error = precision_option_error(precision)
    if precision_error is not None:
        _fail(precision_error)
    if engine == "onnx" and precision != "float32":
        _fail("--precision applies to the torch engine; the exported ONNX graphs compute in float32")
    if list_speakers or list_languages:
        from polyvox.checkpoint import read_metadata
        from polyvox.export import metadata as onnx_metadata

        if engine == "onnx":
            metadata = _run(lambda: onnx_metadata.read_metadata(onnx_metadata.metadata_path(voice_path)))
        else:
            metadata = _run(lambda: read_metadata(voice_path))
        for name in (metadata.speakers if list_speakers else metadata.languages):
            typer.echo(name)
        return
    _check_say_modes(text is not None or text_file is not None, output, stream, batch)
    options: dict[str, Any] = {
        "language": lang, "speaker": speaker, "speed": speed, "noise_scale": noise_scale,
        "noise_scale_duration": noise_scale_duration, "seed": seed, "pitch": pitch, "reference": reference,
    }
    check_speech_options(options)
    if reference is not None and (engine == "onnx" or batch is not None):
        _fail("--reference works with the torch engine for one text (not with --engine onnx or --batch)")
    if batch is not None:
        folder = cast(Path, output)  # _check_say_modes made sure there is one
        plan = _apply_threads(threads, jobs, "--jobs", torch_now=engine == "torch")
        _run(lambda: _speak_batch(batch, folder, voice_path, SpeechRequest(**options), plan, engine, precision))
        return
    request = SpeechRequest(_read_text(text, text_file), **options)
    plan = _apply_threads(threads, torch_now=engine == "torch")

    def speak() -> None:
        from polyvox.audio.io import save_audio
        from polyvox.inference.long_text import LONG_TEXT_CHARS, check_every_sentence, speak_into_file

        started = time.monotonic()
        loaded = _voice_loader(voice_path, engine, precision, plan.threads)()
        if stream:
            chunks = loaded.stream(request)
            typer.echo(f"streaming 16-bit mono PCM at {loaded.sample_rate} Hz", err=True)
            _write_stream(chunks)
            return
        if len(request.text) > LONG_TEXT_CHARS:
            # Written as it is spoken: memory of one chunk, a bar over the sentences, every sentence checked first.
            sentence_count = check_every_sentence(loaded, request)
            seconds = speak_into_file(loaded, request, cast(Path, output), sentence_count)
            typer.echo(f"wrote {output} ({seconds:.2f} s at {loaded.sample_rate} Hz, {sentence_count} sentences) {took(started)}")
            return
        result = loaded.synthesize(request)
        save_audio(output, result.samples, result.sample_rate)
        typer.echo(f"wrote {output} ({result.duration_s:.2f} s at {result.sample_rate} Hz) {took(started)}")

    _run(speak)


@app.command()
def corpus(
    output: Annotated[Path, typer.Argument(help="Folder for wavs/ and manifest.jsonl.")],
    languages: Annotated[str, typer.Option(help="Comma-separated language codes.")] = "en,es,fr,de,zh,ja,ru,ar",
    speakers: Annotated[int, typer.Option(help="Speakers per language.")] = 2,
    utterances: Annotated[int, typer.Option(help="Utterances per speaker.")] = 50,
    sample_rate: Annotated[int, typer.Option(help="Sample rate of the written audio.")] = 22050,
    seed: Annotated[int, typer.Option()] = 0,
    teacher: Annotated[
        str,
        typer.Option(help="Who speaks it: espeak (default), piper, kokoro, or auto (the best per language; polyvox[teachers])."),
    ] = "espeak",
) -> None:
    """Generate a synthetic multilingual, multi-speaker corpus with espeak-ng or a neural teacher."""
    _setup_logging(False)
    started = time.monotonic()

    def generate() -> None:
        from polyvox.data.corpus import generate_corpus
        from polyvox.data.corpus.teacher_choice import teachers_for

        codes = [code.strip() for code in languages.split(",") if code.strip()]
        teachers = teachers_for(codes, teacher)  # a missing package or an unspoken language stops here, before any work
        report = generate_corpus(output, codes, speakers, utterances, sample_rate=sample_rate, seed=seed, progress=True)
        typer.echo(report.summary())
        if teachers:
            from polyvox.data.corpus.revoice import revoice_corpus
            from tqdm.auto import tqdm

            for item in revoice_corpus(output, teachers, sample_rate, lambda items: tqdm(items, desc="teachers", unit="utt")):
                typer.echo(f"  {item.corpus_speaker}: spoken by {item.teacher}_{item.voice} ({item.licence})")
        typer.echo(f"wrote {report.utterances} utterances ({report.duration_s / 60:.1f} min) to {output} {took(started)}")

    _run(generate)


def _import_to_manifest(output: Path, read: Any) -> None:
    started = time.monotonic()

    def run() -> None:
        from polyvox.data.manifest import write_manifest

        utterances = read()
        write_manifest(output, utterances)
        typer.echo(f"wrote {output}: {len(utterances)} utterances {took(started)}")

    _run(run)


@import_app.command("ljspeech")
def import_ljspeech_command(
    folder: Annotated[Path, typer.Argument(help="Folder with metadata.csv and wavs/.")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Manifest to write.")],
    lang: Annotated[str, typer.Option("--lang", "-l")] = "en",
    speaker: Annotated[str, typer.Option()] = "ljspeech",
) -> None:
    """Import the LJSpeech layout (metadata.csv + wavs/)."""

    from polyvox.data import importers

    _import_to_manifest(output, lambda: importers.import_ljspeech(folder, lang, speaker=speaker))


@import_app.command("folder")
def import_folder_command(
    folder: Annotated[Path, typer.Argument(help="Audio files with transcripts beside them (or per-speaker sub-folders).")],
    output: Annotated[Path, typer.Option("-o", "--output", help="Manifest to write.")],
    lang: Annotated[str, typer.Option("--lang", "-l")] = "en",
    speaker: Annotated[Optional[str], typer.Option(help="One speaker name for all files; default: sub-folder names.")] = None,
) -> None:
    """Import a folder of audio files with transcripts."""

    from polyvox.data import importers

    _import_to_manifest(output, lambda: importers.import_folder(folder, lang, speaker=speaker))


@app.command()
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
    accelerator: Annotated[str, typer.Option(help="cpu, gpu or auto (Lightning).")] = "cpu",
    devices: Annotated[str, typer.Option(help="Number of devices or 'auto'.")] = "1",
    nodes: Annotated[int, typer.Option(help="Machines training together (each runs the same command; see docs/training.md).")] = 1,
    strategy: Annotated[str, typer.Option(help="auto or ddp (Lightning's distributed data parallel).")] = "auto",
    overfit_batch: Annotated[
        bool,
        typer.Option(
            "--overfit-batch",
            help="Check the set-up instead of training: fit one batch (no discriminator); exit 1 if the mel loss does not fall.",
        ),
    ] = False,
    # Default: DEFAULT_OVERFIT_STEPS of train/overfit.py (not imported here: it needs torch).
    overfit_steps: Annotated[int, typer.Option(help="Steps for --overfit-batch.")] = 300,
    threads: Threads = None,
    verbose: Verbose = True,
) -> None:
    """Train a voice on a manifest."""
    _setup_logging(verbose)
    _apply_threads(threads, training_processes(accelerator, devices), "--devices", lower_processes=False)
    started = time.monotonic()

    if overfit_batch:
        def check() -> bool:
            from polyvox.config_files import load_config
            from polyvox.train.overfit import overfit_batch as run_overfit

            result = run_overfit(data, output, load_config(config, preset, set_values or [], max_steps), overfit_steps, progress=True)
            typer.echo(result.verdict())
            return result.passed

        if not _run(check):
            raise typer.Exit(code=1)
        return

    def run() -> None:
        from polyvox.config_files import load_config
        from polyvox.train.run import train as train_voice
        from polyvox.train.run_config import stored_run_config

        # A resumed run starts from its own config: only the options given here are compared with it.
        own = stored_run_config(output) if resume else None
        voice_config = load_config(config, preset, set_values or [], max_steps, base=own)
        result = train_voice(
            data, output, voice_config, resume=resume, accelerator=accelerator, init_from=init_from,
            devices=int(devices) if devices.isdigit() else devices, overwrite=overwrite, nodes=nodes, strategy=strategy,
        )
        from polyvox.train.ranks import is_follower

        if is_follower():
            return  # rank 0 reports the run
        if result.already_complete:
            typer.echo(f"the run is complete ({result.steps} steps); voice: {result.voice_path}")
            return
        typer.echo(f"trained {result.steps} steps {took(started)}; voice: {result.voice_path}")

    _run(run, on_interrupt=f"polyvox train -d {data} -o {output} --resume continues the run from its newest checkpoint")


@app.command()
def doctor(
    path: Annotated[Path, typer.Argument(help="Voice file (.safetensors) or training checkpoint (.ckpt).")],
    config: Annotated[Optional[Path], typer.Option(help="Config (.json or .toml) the voice will be used with.")] = None,
    preset: Annotated[str, typer.Option(help="Preset the --config file starts from.")] = "small",
    set_values: Annotated[Optional[list[str]], typer.Option("--set", help="Override of --config, e.g. --set model.decoder.type=istft.")] = None,
    threads: Threads = None,
) -> None:
    """Check a voice or checkpoint: config fingerprint, NaN/Inf parameters, each module on a probe input."""
    _setup_logging(False)
    _apply_threads(threads)

    def check() -> bool:
        from polyvox.config_files import load_config
        from polyvox.doctor import diagnose, format_report

        given = load_config(config, preset, set_values or [], None) if config is not None or set_values else None
        report = diagnose(path, given)
        typer.echo(format_report(report))
        return report.passed

    if not _run(check):
        raise typer.Exit(code=1)


for _module in COMMAND_MODULES:
    _module.register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
