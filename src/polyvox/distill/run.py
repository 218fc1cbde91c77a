"""``distill``: source voice -> corpus it speaks -> a fast student trained on it -> the student's voice file."""

from __future__ import annotations

import dataclasses
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from polyvox.distill.corpus import DistilledCorpus, build_corpus
from polyvox.distill.options import DistillError, DistillOptions
from polyvox.distill.plan import plan_clips
from polyvox.distill.source import resolve_source, source_digest
from polyvox.distill.student import initial_student, student_metadata
from polyvox.files import atomic_path

logger = logging.getLogger(__name__)

STATE_FILE = "distill.json"
CORPUS_FOLDER = "corpus"
RUN_FOLDER = "run"
INITIAL_STUDENT = "student_init.safetensors"


@dataclass(frozen=True)
class DistillResult:
    output: Path
    steps: int
    corpus: DistilledCorpus | None  # the speech a whole-model student learned from (None: a decoder student)
    already_complete: bool  # the work folder's run had reached --steps: nothing was trained
    summary: str = ""  # what the student learned from, in one line


def distill(options: DistillOptions) -> DistillResult:
    """Train a fast student of ``options.source`` and write it to ``options.output``; a second call with the
    same work folder continues the corpus and the training where the first stopped."""
    from polyvox.voice_file import load_voice_file, save_voice
    from polyvox.inference.voice import Voice
    from polyvox.train.callbacks import checkpoint_files
    from polyvox.train.run import train

    if options.output.exists() and not options.overwrite:
        raise DistillError(f"{options.output} already exists: pass --overwrite to replace it, or -o another name")
    if not options.source.is_file():
        raise DistillError(f"source voice not found: {options.source}; give a polyvox voice (.safetensors) or a Piper voice (.onnx)")
    work = options.work_folder
    _claim(work, options)
    source_path = resolve_source(options.source, work)
    source = Voice.load(source_path)
    clips = plan_clips(source.speakers, source.languages, options.sentences_per_speaker, options.seed)
    if options.student in ("decoder", "flow-decoder"):
        from polyvox.distill.decoder_run import distill_decoder

        return distill_decoder(source, source_path, clips, options)
    corpus = build_corpus(source, work / CORPUS_FOLDER, clips, options.seed, options.progress)
    metadata = student_metadata(source.metadata, options, options.source.name)
    del source
    run_dir = work / RUN_FOLDER
    resume = bool(checkpoint_files(run_dir / "checkpoints"))
    initial = None if resume else initial_student(metadata, work / INITIAL_STUDENT, options.seed)
    result = train(corpus.manifest, run_dir, metadata.config, resume=resume, progress=options.progress, init_from=initial)
    tensors, trained = load_voice_file(result.voice_path)
    info = dict(trained.info, **metadata.info, steps=str(result.steps), distill_corpus=corpus.summary())
    save_voice(options.output, tensors, dataclasses.replace(trained, info=info))
    return DistillResult(options.output, result.steps, corpus, result.already_complete, corpus.summary())


def _claim(work: Path, options: DistillOptions) -> None:
    """Mark ``work`` as this source's (and preset's) distillation; refuse one made for another."""
    state = {"source_sha256": source_digest(options.source), "preset": options.preset, "seed": options.seed}
    if options.student != "whole":  # work folders of whole-model students stay valid as they are
        state["student"] = options.student
    if options.overrides:  # likewise work folders made before --set existed
        state["settings"] = sorted(options.overrides)
    if options.discriminator_after is not None:
        state["discriminator_after"] = options.discriminator_after
    if options.recordings is not None:
        state["recordings_sha256"] = source_digest(options.recordings)
        state["recording_latent"] = options.recording_latent
    if options.decoder_from_source:
        state["decoder_from_source"] = True
    path = work / STATE_FILE
    if path.is_file():
        stored = json.loads(path.read_text(encoding="utf-8"))
        stored.pop("source", None)  # where the source was is not what it was
        changed = [name for name in dict.fromkeys([*state, *stored]) if stored.get(name) != state.get(name)]
        if changed == ["discriminator_after"] and "discriminator_after" not in stored:
            # A discriminator may join a decoder run of spectral losses alone, from a step it has not reached yet.
            from polyvox.distill.decoder_run import RUN_FOLDER as DECODER_RUN_FOLDER
            from polyvox.distill.decoder_training import check_discriminator_joins

            check_discriminator_joins(work / DECODER_RUN_FOLDER, options.discriminator_after)
            with atomic_path(path) as temporary:
                temporary.write_text(json.dumps({**stored, **state, "source": str(options.source)}, indent=1) + "\n", encoding="utf-8")
            return
        if changed:
            raise DistillError(
                f"the work folder {work} holds a distillation with another {', '.join(changed)}; "
                "give another --work folder (or delete that one to start over)"
            )
        return
    with atomic_path(path) as temporary:
        temporary.write_text(json.dumps({**state, "source": str(options.source)}, indent=1) + "\n", encoding="utf-8")
