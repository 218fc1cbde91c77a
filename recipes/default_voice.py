"""Recipe for the bundled default voice: generate the corpus, train, ship the voice in the package.

    python recipes/default_voice.py --work runs/default              # from scratch
    python recipes/default_voice.py --work runs/default --resume     # continue a run (across sessions)
    python recipes/default_voice.py --work runs/default --ship-only  # only copy the newest voice into the package

The shipped file is half precision without optimizer state, so the package stays small; training
checkpoints stay in the work folder. To teach the shipped voice another language (replaying its six,
so none is forgotten): recipes/add_language.py and docs/finetuning.md.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

LANGUAGES = ("en", "es", "fr", "de", "zh", "ja")
SPEAKERS_PER_LANGUAGE = 2
UTTERANCES_PER_SPEAKER = 200
CORPUS_SEED = 2026
SHIPPED_VOICE = Path(__file__).resolve().parent.parent / "src" / "polyvox" / "voices" / "default.safetensors"
# Training settings on top of the ``small`` preset; the discriminator joins once durations and the prior have settled.
OVERRIDES = {
    "training.batch_size": 16,
    "training.discriminator_start_step": 3000,
    "training.checkpoint_every_steps": 250,
    "training.audio_samples_every_steps": 500,
    "training.log_every_steps": 25,
}


def ship(work: Path) -> Path:
    """Copy the run's newest voice into the package, in half precision, with a reference encoder
    trained on the corpus's speakers (so ``polyvox say --reference clip.wav`` works with it)."""
    import dataclasses

    from polyvox.voice_file import load_voice_file, save_voice
    from polyvox.train.reference import attach_reference_encoder

    tensors, metadata = load_voice_file(work / "run" / "voice.safetensors")
    info = dict(
        metadata.info,
        recipe="recipes/default_voice.py",
        corpus=f"espeak-ng, {','.join(LANGUAGES)}, {SPEAKERS_PER_LANGUAGE} speakers x {UTTERANCES_PER_SPEAKER}, seed {CORPUS_SEED}",
    )
    staged = save_voice(work / "staged.safetensors", tensors, dataclasses.replace(metadata, info=info))
    reference_run = work / "reference"
    reference_run.mkdir(parents=True, exist_ok=True)
    # Share the training run's feature cache instead of computing it again.
    if not (reference_run / "cache").exists():
        (reference_run / "cache").symlink_to((work / "run" / "cache").resolve(), target_is_directory=True)
    SHIPPED_VOICE.parent.mkdir(parents=True, exist_ok=True)
    result = attach_reference_encoder(staged, work / "corpus" / "manifest.jsonl", SHIPPED_VOICE, reference_run, half=True)
    logging.getLogger("recipe").info(
        "reference encoder: held-out nearest-speaker accuracy %s", result.validation_accuracy
    )
    return result.voice_path


def shipped_base(work: Path) -> Path:
    """The shipped voice without its reference encoder (retrained at each ship), to continue training."""
    import dataclasses

    from polyvox.voice_file import load_voice_file, save_voice

    tensors, metadata = load_voice_file(SHIPPED_VOICE)
    tensors = {name: tensor for name, tensor in tensors.items() if not name.startswith("reference_encoder.")}
    config = metadata.config.replace(**{"model.reference_encoder.enabled": False})
    work.mkdir(parents=True, exist_ok=True)
    return save_voice(work / "shipped_base.safetensors", tensors, dataclasses.replace(metadata, config=config))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=Path("runs/default"))
    parser.add_argument("--max-steps", type=int, default=20_000)
    parser.add_argument("--resume", action="store_true", help="continue the newest checkpoint in --work")
    parser.add_argument(
        "--continue-shipped", action="store_true", help="start from the voice shipped in the package (a new session)"
    )
    parser.add_argument("--ship-only", action="store_true")
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not arguments.ship_only:
        from polyvox.config import preset
        from polyvox.data.corpus import generate_corpus
        from polyvox.train.run import train

        corpus_dir = arguments.work / "corpus"
        if not (corpus_dir / "manifest.jsonl").exists():
            generate_corpus(corpus_dir, list(LANGUAGES), SPEAKERS_PER_LANGUAGE, UTTERANCES_PER_SPEAKER, seed=CORPUS_SEED)
        config = preset("small", LANGUAGES).replace(**OVERRIDES, **{"training.max_steps": arguments.max_steps})
        init_from = shipped_base(arguments.work) if arguments.continue_shipped and not arguments.resume else None
        train(corpus_dir / "manifest.jsonl", arguments.work / "run", config, resume=arguments.resume, init_from=init_from)
    logging.getLogger("recipe").info("shipped %s", ship(arguments.work))


if __name__ == "__main__":
    main()
