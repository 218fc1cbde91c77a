"""Recipe: teach the bundled default voice a new language without it forgetting the six it speaks.

    python recipes/add_language.py --work runs/add_ru                   # Russian (generated), 2,000 steps
    python recipes/add_language.py --work runs/add_ar --language ar     # or Arabic
    python recipes/add_language.py --work runs/add_ru --resume          # continue a stopped run

1. New-language material: a generated corpus (espeak-ng) of two speakers; with your own recordings,
   write a manifest instead (`polyvox import folder ... --lang xx`) and pass it with --data.
2. Replay material: clips of the voice's own languages and speakers (the same generated corpus family
   the voice was trained on), mixed into every batch by the language-balanced sampler.
3. `polyvox finetune --add-language`: grows the language, symbol and speaker tables (trained rows kept),
   trains with the ``language`` freeze preset, validates every language separately (a warning names
   any language that gets worse than at the start) and writes the best validation step.
4. A sentence of the new language and one of each old language (from the data, so every phoneme is
   known), spoken by the result into WORK/check_<language>.wav.

The same from the command line is in docs/finetuning.md.
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

# Languages the generated corpus has and the default voice does not speak.
NEW_LANGUAGES = ("ru", "ar")
# The default voice's corpus: two speakers per language and this seed (see recipes/default_voice.py).
REPLAY_SPEAKERS = 2
REPLAY_SEED = 2026


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=Path("runs/add_language"))
    parser.add_argument("--language", default="ru", choices=NEW_LANGUAGES)
    parser.add_argument("--data", type=Path, help="your own manifest of the new language (default: generate one)")
    parser.add_argument("--utterances", type=int, default=100, help="generated clips per new-language speaker")
    parser.add_argument("--replay-utterances", type=int, default=30, help="replay clips per old speaker")
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--resume", action="store_true")
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    from polyvox.audio.io import save_audio
    from polyvox.voice_file import read_metadata
    from polyvox.cli_support import DEFAULT_VOICE
    from polyvox.data.corpus import generate_corpus
    from polyvox.data.manifest import Utterance, read_manifest
    from polyvox.finetune import FinetuneOptions, finetune
    from polyvox.inference.voice import Voice

    work, language = arguments.work, arguments.language
    data = arguments.data or work / "new" / "manifest.jsonl"
    if arguments.data is None and not data.exists():
        generate_corpus(work / "new", [language], 2, arguments.utterances, seed=7)
    replay = work / "replay" / "manifest.jsonl"
    if not replay.exists():
        old_languages = read_metadata(DEFAULT_VOICE).languages
        generate_corpus(work / "replay", list(old_languages), REPLAY_SPEAKERS, arguments.replay_utterances, seed=REPLAY_SEED)
    options = FinetuneOptions(add_language=language, replay=replay, steps=arguments.steps, resume=arguments.resume)
    result = finetune(DEFAULT_VOICE, data, work / "voice.safetensors", work / "run", options)
    logging.getLogger("recipe").info(
        "wrote %s from step %s (mean validation mel loss %.4g); per-language curves: tensorboard --logdir %s",
        result.voice_path, result.best_step, result.best_score, work / "run" / "logs",
    )
    voice = Voice.load(result.voice_path)
    first_per_language: dict[str, Utterance] = {}
    for utterance in [*read_manifest(data), *read_manifest(replay)]:
        first_per_language.setdefault(utterance.language, utterance)
    for code, utterance in first_per_language.items():
        spoken = voice.synthesize(utterance.text, language=code, speaker=utterance.speaker, seed=0)
        save_audio(work / f"check_{code}.wav", spoken.samples, spoken.sample_rate)


if __name__ == "__main__":
    main()
