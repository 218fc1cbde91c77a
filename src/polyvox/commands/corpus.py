"""``polyvox corpus``: a synthetic multilingual, multi-speaker corpus spoken by espeak-ng or a neural teacher."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from polyvox.cli_support import run, setup_logging, took


def register(app: typer.Typer) -> None:
    """Add the command to ``app``."""
    app.command("corpus")(corpus)


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
    styles: Annotated[
        str,
        typer.Option(
            help="Comma-separated style labels spoken in turn by each speaker and written to the manifest's `style` "
            "(neutral, calm, excited, sad, whisper; a neural teacher's speech is restyled by WORLD). Default: none, an unlabelled corpus."
        ),
    ] = "",
    style_by: Annotated[
        str,
        typer.Option(
            help="How --styles labels the clips: turn (each speaker's in turn) or sentence (by the sentence's kind: "
            "exclamations excited, questions calm, statements neutral, in equal shares; --styles excited,calm,neutral)."
        ),
    ] = "turn",
) -> None:
    """Generate a synthetic multilingual, multi-speaker corpus with espeak-ng or a neural teacher."""
    setup_logging(False)
    started = time.monotonic()

    def generate() -> None:
        from polyvox.data.corpus import generate_corpus
        from polyvox.data.corpus.teacher_choice import teachers_for

        codes = [code.strip() for code in languages.split(",") if code.strip()]
        style_names = _style_names(styles, style_by)
        teachers = teachers_for(codes, teacher)  # a missing package or an unspoken language stops here, before any work
        report = generate_corpus(
            output, codes, speakers, utterances, sample_rate=sample_rate, seed=seed, progress=True, styles=style_names, style_by=style_by
        )
        typer.echo(("espeak-ng's plan, before the teachers: " if teachers else "") + report.summary())
        duration_s = report.duration_s
        if teachers:
            from polyvox.data.corpus.revoice import revoice_corpus
            from tqdm.auto import tqdm

            taught = revoice_corpus(output, teachers, sample_rate, lambda items: tqdm(items, desc="teachers", unit="utt"))
            for item in taught:
                typer.echo(
                    f"  {item.corpus_speaker}: spoken by {item.teacher}_{item.voice} ({item.licence}), "
                    f"{item.duration_s / 60:.1f} min; phonemes timed by the teacher in {item.timed_clips} of {item.clips} clips"
                )
            duration_s = _manifest_seconds(output / "manifest.jsonl")
        typer.echo(f"wrote {report.utterances} utterances ({duration_s / 60:.1f} min) to {output} {took(started)}")

    run(generate)


def _manifest_seconds(manifest: Path) -> float:
    """The corpus's length as written: a teacher speaks at its own rate, so espeak-ng's plan is not it."""
    from polyvox.data.manifest import read_manifest

    return sum(utterance.duration for utterance in read_manifest(manifest))


def _style_names(styles: str, style_by: str) -> list[str]:
    """The --styles names, checked with --style-by before any work."""
    from polyvox.data.corpus.sentence_kinds import check_style_assignment
    from polyvox.data.corpus.styles import corpus_styles

    names = [name.strip() for name in styles.split(",") if name.strip()]
    corpus_styles(names)
    check_style_assignment(style_by, names)
    return names
