"""``polyvox say``: speak a text into a WAV file, as a raw stream to a player, or a folder of texts (``--batch``)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Annotated, Any, Optional, cast

import typer

from polyvox.cli_support import DEFAULT_VOICE, Threads, Verbose, apply_threads, check_speech_options, fail, run, setup_logging, took
from polyvox.inference.precisions import precision_option_error
from polyvox.inference.score import Score
from polyvox.speech_request import DEFAULTS, SPECS, SpeechRequest


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("say")(say)


def _read_text(text: Optional[str], text_file: Optional[Path]) -> str:
    if text_file is not None:
        try:
            return text_file.read_text(encoding="utf-8")
        except UnicodeDecodeError as error:
            fail(f"text file {text_file} is not UTF-8 text (byte 0x{error.object[error.start]:02x} at offset {error.start}); save it as UTF-8")
        except OSError as error:
            fail(f"cannot read text file {text_file}: {error.strerror}")
    if text is None or text == "-":
        if sys.stdin.isatty():
            fail("no text given: pass TEXT, --text-file FILE, or pipe text on standard input")
        return sys.stdin.read()
    return text


def _voice_loader(
    voice_path: Path, engine: str = "torch", precision: str = "float32", threads: int | None = None, text_features: Path | None = None
) -> Any:
    """A picklable callable that loads the voice: run here, and in each ``--batch`` worker.
    ``threads``: onnxruntime's per graph (torch's are set process-wide by the command); ``text_features``: the model
    folder of a voice trained with text features."""
    from functools import partial

    if engine == "onnx":
        from polyvox.inference.onnx_voice import OnnxVoice

        return partial(OnnxVoice.load, voice_path, threads=threads, text_features=text_features)
    from polyvox.inference.voice import Voice

    return partial(Voice.load, voice_path, precision=precision, text_features=text_features)


def _phonemes_of(metadata: Any, text: str, language: Optional[str]) -> str:
    """``text`` as the voice reads it, written as ``--phonemes`` takes it."""
    from polyvox.inference.phoneme_input import text_as_phonemes
    from polyvox.inference.request import voice_language
    from polyvox.text.rules import TextRules

    rules = TextRules(metadata.config, metadata.languages, metadata.symbols)
    return text_as_phonemes(text, rules, voice_language(language, metadata.languages))


def _listed(metadata: Any, speakers: bool, languages: bool, emotions: bool = False) -> list[str]:
    from polyvox.text.symbols import RESERVED_SYMBOLS

    if emotions:
        style = metadata.config.model.style
        if not style.labels:
            fail("this voice has no style labels" + ("" if style.enabled else " (it has no style component)"))
        return list(style.labels)
    if speakers or languages:
        return list(metadata.speakers if speakers else metadata.languages)
    return [symbol for symbol in metadata.symbols.to_list() if symbol not in RESERVED_SYMBOLS]


def _check_say_modes(text_given: bool, output: Optional[Path], stream: bool, batch: Optional[Path]) -> None:
    if batch is not None and text_given:
        fail("give either TEXT (or --text-file) or --batch FILE, not both")
    if batch is not None and stream:
        fail("--batch writes files; it cannot be combined with --stream")
    if stream and output is not None:
        fail("--stream writes raw audio to standard output; drop -o (or drop --stream to write a WAV file)")
    if stream and sys.stdout.isatty():
        fail("--stream writes raw audio; pipe it to a player, e.g. polyvox say --stream TEXT | aplay -r 22050 -f S16_LE")
    if output is None and not stream:
        fail("no output: add -o FOLDER for --batch" if batch is not None else "no output file: add -o out.wav, or --stream to play it as it is spoken")


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
    batch: Path, folder: Path, voice_path: Path, settings: Any, plan: Any, engine: str = "torch", precision: str = "float32",
    text_features: Path | None = None,
) -> None:
    from polyvox.inference.batch import run_batch
    from polyvox.inference.batch_items import read_batch_items

    started = time.monotonic()
    load = _voice_loader(voice_path, engine, precision, plan.threads, text_features)
    report = run_batch(read_batch_items(batch), folder, load, settings, jobs=plan.processes, threads=plan.threads)
    for failure in report.failures:
        typer.echo(f"failed: {failure}", err=True)
    typer.echo(f"{report.summary(folder)} {took(started)}", err=True)
    if report.failures:
        fail(f"{len(report.failures)} of {len(report.failures) + report.written + report.skipped} utterances failed; "
              "fix them and run again (finished files are kept)")


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
    reference_pitch: Annotated[bool, typer.Option("--reference-pitch/--no-reference-pitch", help=SPECS["reference_pitch"].help())] = DEFAULTS["reference_pitch"],
    style_reference: Annotated[Optional[Path], typer.Option(help=SPECS["style_reference"].help())] = DEFAULTS["style_reference"],
    emotion: Annotated[Optional[str], typer.Option(help=SPECS["emotion"].help())] = DEFAULTS["emotion"],
    style_strength: Annotated[float, typer.Option(help=SPECS["style_strength"].help())] = DEFAULTS["style_strength"],
    style: Annotated[Optional[str], typer.Option(help=SPECS["style"].help())] = DEFAULTS["style"],
    style_steps: Annotated[int, typer.Option(help=SPECS["style_steps"].help())] = DEFAULTS["style_steps"],
    style_scale: Annotated[float, typer.Option(help=SPECS["style_scale"].help())] = DEFAULTS["style_scale"],
    speed: Annotated[Optional[float], typer.Option(help=SPECS["speed"].help())] = DEFAULTS["speed"],
    pitch: Annotated[float, typer.Option(help=SPECS["pitch"].help())] = DEFAULTS["pitch"],
    noise_scale: Annotated[Optional[float], typer.Option(help=SPECS["noise_scale"].help())] = DEFAULTS["noise_scale"],
    noise_scale_duration: Annotated[Optional[float], typer.Option(help=SPECS["noise_scale_duration"].help())] = DEFAULTS["noise_scale_duration"],
    seed: Annotated[Optional[int], typer.Option(help=SPECS["seed"].help())] = DEFAULTS["seed"],
    phonemes: Annotated[Optional[str], typer.Option(help=SPECS["phonemes"].help())] = DEFAULTS["phonemes"],
    score: Annotated[Optional[Path], typer.Option(help=SPECS["score"].help())] = DEFAULTS["score"],
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
        typer.Option(help="Speak each line of a .txt file (0001.wav, ...) or each record of a .jsonl file (its text, phonemes or "
                     "score) into the -o folder; files already there are kept."),
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
    list_emotions: Annotated[
        bool, typer.Option("--list-emotions", help="List the voice's style labels (what --emotion takes) and exit.")
    ] = False,
    list_phonemes: Annotated[bool, typer.Option("--list-phonemes", help="List the voice's phoneme symbols and exit.")] = False,
    print_phonemes: Annotated[
        bool, typer.Option("--print-phonemes", help="Print TEXT in the voice's phonemes (what --phonemes takes) and exit.")
    ] = False,
    text_features: Annotated[
        Optional[Path],
        typer.Option(help="The local model folder (BERT family) a voice trained with text features reads each sentence with "
                     "(polyvox train --text-features); the voice refuses any other."),
    ] = None,
    threads: Threads = None,
    verbose: Verbose = False,
) -> None:
    """Speak TEXT with a voice: a WAV file, a raw stream to a player, or a folder of files (--batch)."""
    setup_logging(verbose)
    voice_path = voice or DEFAULT_VOICE
    if engine not in ("torch", "onnx"):
        fail(f"--engine must be torch or onnx, got {engine!r}")
    if engine == "onnx" and voice is None:
        fail("--engine onnx needs --voice voice.onnx; write one with: polyvox export -o voice.onnx")
    precision_error = precision_option_error(precision)
    if precision_error is not None:
        fail(precision_error)
    if engine == "onnx" and precision != "float32":
        fail("--precision applies to the torch engine; the exported ONNX graphs compute in float32")
    if list_speakers or list_languages or list_emotions or list_phonemes or print_phonemes:
        from polyvox.voice_file import read_metadata
        from polyvox.export import metadata as onnx_metadata

        if engine == "onnx":
            metadata = run(lambda: onnx_metadata.read_metadata(onnx_metadata.metadata_path(voice_path)))
        else:
            metadata = run(lambda: read_metadata(voice_path))
        if print_phonemes:
            if phonemes is not None or score is not None:
                fail("--print-phonemes writes TEXT in the voice's phonemes; give TEXT, not --phonemes or --score")
            typer.echo(run(lambda: _phonemes_of(metadata, _read_text(text, text_file), lang)))
            return
        for name in _listed(metadata, list_speakers, list_languages, list_emotions):
            typer.echo(name)
        return
    controlled = phonemes is not None or score is not None
    if controlled and batch is not None:
        fail("--phonemes and --score speak one utterance; drop --batch (a --batch .jsonl record takes 'phonemes' or 'score' instead of 'text')")
    _check_say_modes(text is not None or text_file is not None or controlled, output, stream, batch)
    options: dict[str, Any] = {
        "language": lang, "speaker": speaker, "speed": speed, "noise_scale": noise_scale,
        "noise_scale_duration": noise_scale_duration, "seed": seed, "pitch": pitch, "reference": reference,
        "style_reference": style_reference, "emotion": emotion, "style_strength": style_strength,
        "style": style, "style_steps": style_steps, "style_scale": style_scale, "reference_pitch": reference_pitch,
    }
    check_speech_options(options)
    if reference is not None and (engine == "onnx" or batch is not None):
        fail("--reference works with the torch engine for one text (not with --engine onnx or --batch)")
    if score is not None and engine == "onnx":
        fail("--score needs the torch engine (the ONNX graphs predict their own durations); drop --engine onnx")
    if batch is not None:
        folder = cast(Path, output)  # _check_say_modes made sure there is one
        plan = apply_threads(threads, jobs, "--jobs", torch_now=engine == "torch")
        run(lambda: _speak_batch(batch, folder, voice_path, SpeechRequest(**options), plan, engine, precision, text_features))
        return
    if controlled:
        options["phonemes"] = phonemes
        options["score"] = None if score is None else run(lambda: Score.read(score))
    # With --phonemes or --score a TEXT given too is refused by the request; nothing is read from standard input.
    typed = _read_text(text, text_file) if text is not None or text_file is not None or not controlled else ""
    request = run(lambda: SpeechRequest(typed, **options))
    plan = apply_threads(threads, torch_now=engine == "torch")

    def speak() -> None:
        from polyvox.audio.io import save_audio
        from polyvox.inference.long_text import LONG_TEXT_CHARS, check_every_sentence, speak_into_file

        started = time.monotonic()
        loaded = _voice_loader(voice_path, engine, precision, plan.threads, text_features)()
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

    run(speak)
