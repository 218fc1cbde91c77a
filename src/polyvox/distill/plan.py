"""What the source voice will say: sentences of the corpus grammars for each of its languages, each speaker
its own share, chosen to cover the language's phoneme inventory (as ``polyvox corpus`` chooses them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from polyvox.data.corpus.plan import covering_sentences, frontend_sounds
from polyvox.data.corpus.sentences import GRAMMAR_MODULES, CorpusTextError, SentenceGenerator, grammar_for
from polyvox.data.coverage import load_inventory
from polyvox.distill.options import DistillError


@dataclass(frozen=True)
class PlannedClip:
    identifier: str  # unique in the corpus, also the wav's stem
    speaker: str
    language: str
    text: str


def speaker_languages(speaker: str, languages: Sequence[str]) -> tuple[str, ...]:
    """The languages a speaker speaks in the corpus: the one its name starts with (``en_f3``, the
    convention of polyvox's corpora), else all of the voice's."""
    prefix = speaker.split("_")[0]
    return (prefix,) if prefix in languages else tuple(languages)


def plan_clips(speakers: Sequence[str], languages: Sequence[str], per_speaker: int, seed: int) -> list[PlannedClip]:
    """``per_speaker`` different sentences for every speaker in each of its languages; no sentence repeats
    within a language. Depends only on the arguments."""
    missing = [language for language in languages if language not in GRAMMAR_MODULES]
    if missing:
        raise DistillError(
            f"no sentence grammar for language(s) {', '.join(missing)}: distill speaks {', '.join(sorted(GRAMMAR_MODULES))}"
        )
    sounds = frontend_sounds(languages)
    clips: list[PlannedClip] = []
    for language in languages:
        voices = [speaker for speaker in speakers if language in speaker_languages(speaker, languages)]
        if not voices:
            continue
        generator = SentenceGenerator(grammar_for(language), seed)
        inventory = load_inventory(language)
        count = per_speaker * len(voices)
        try:
            if inventory is None:
                sentences = generator.sentences(count)
            else:
                sentences, _ = covering_sentences(generator, count, inventory, lambda text: sounds(text, language))
        except CorpusTextError as error:
            raise DistillError(f"{error} (lower --sentences)") from error
        for number, speaker in enumerate(voices):
            own = sentences[number :: len(voices)]
            clips.extend(PlannedClip(f"{speaker}_{language}_{index:05d}", speaker, language, text) for index, text in enumerate(own))
    return clips
