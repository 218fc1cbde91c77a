"""Shared set-up of the fine-tuning tests: generated corpora and a tiny voice trained on none of them.

The voice speaks English with speakers en_f3 and en_m1 (its symbol table covers their clips); the new
material is a third English speaker (en_f1) and a Spanish speaker (es_f3).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

from polyvox.voice_file import VoiceMetadata, save_voice
from polyvox.config import preset
from polyvox.data.corpus import generate_corpus
from polyvox.text.rules import TextRules
from polyvox.data.manifest import read_manifest, write_manifest
from polyvox.models.vits import VitsGenerator
from polyvox.text import SymbolTable

VOICE_SPEAKERS = ("en_f3", "en_m1")
NEW_SPEAKER = "en_f1"


@dataclass(frozen=True)
class Corpora:
    voice: Path  # tiny untrained voice: en, speakers en_f3 and en_m1
    old: Path  # the voice's own clips (replay material)
    new_speaker: Path  # en_f1 only
    all_english: Path  # en_f3, en_m1 and en_f1
    spanish: Path  # es_f3


def make_corpora(root: Path, engine: object) -> Corpora:
    generate_corpus(root / "en", ["en"], 3, 6, seed=5, progress=False, engine=engine)
    generate_corpus(root / "es", ["es"], 1, 8, seed=6, progress=False, engine=engine)
    english = read_manifest(root / "en" / "manifest.jsonl")
    old = [u for u in english if u.speaker in VOICE_SPEAKERS]
    write_manifest(root / "old.jsonl", old)
    write_manifest(root / "new_speaker.jsonl", [u for u in english if u.speaker == NEW_SPEAKER])
    config = preset("tiny", ("en",), n_speakers=len(VOICE_SPEAKERS))
    rules = TextRules(config, ["en"])
    symbols = SymbolTable.base().extend(rules.vocabulary(rules.utterance_tokens(u) for u in old))
    metadata = VoiceMetadata(config=config, symbols=symbols, languages=("en",), speakers=VOICE_SPEAKERS, info={"steps": "100"})
    torch.manual_seed(0)
    generator = VitsGenerator(config.model, len(symbols), 1, config.audio.n_mels, config.audio.hop_length)
    voice = save_voice(root / "voice.safetensors", generator.state_dict(), metadata)
    return Corpora(voice, root / "old.jsonl", root / "new_speaker.jsonl", root / "en" / "manifest.jsonl", root / "es" / "manifest.jsonl")


def corpora_fixture(folder: str) -> Callable[..., Corpora]:
    """A test module's ``corpora`` fixture (made once per module, in a temporary ``folder``)."""

    @pytest.fixture(scope="module")
    def corpora(tmp_path_factory: pytest.TempPathFactory, engine: object) -> Corpora:
        return make_corpora(tmp_path_factory.mktemp(folder), engine)

    return corpora


# Short runs that validate (and so may write the best voice) every other step.
QUICK = ("training.audio_samples_every_steps=2", "training.checkpoint_every_steps=2", "training.batch_size=4")
