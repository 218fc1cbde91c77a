"""What a corpus says, without synthesising it: each speaker's sentences, chosen so that every language
covers its phoneme inventory (``polyvox.data.coverage``).

A language's sentences are the grammar's usual draw; when that lacks a phoneme or a (phoneme, accent)
pair of the inventory, more sentences are drawn as candidates (up to ``CANDIDATE_FACTOR`` times the
number asked for) and a greedy set cover picks the fewest that supply what is missing, in place of
ordinary ones. What no candidate has is reported as missing. A plan whose styles follow the sentence kind
(``balance_kinds``) draws each kind an equal share instead (``sentence_kinds.py``) and reports what that covers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from polyvox.data.corpus.sentence_kinds import kind_balanced_sentences
from polyvox.data.corpus.sentences import CorpusTextError, SentenceGenerator, grammar_for
from polyvox.data.corpus.speakers import Speaker, speakers_for_language
from polyvox.data.coverage import LanguageCoverage, PhonemeInventory, Sound, coverage_of, load_inventory, sounds_of

# Sentences drawn while looking for missing sounds, as a multiple of the sentences asked for.
CANDIDATE_FACTOR = 12

SoundsOf = Callable[[str, str], set[Sound]]


@dataclass(frozen=True)
class CorpusPlan:
    """Every utterance to make as (speaker, sentence), and each language's coverage of its inventory
    (languages without an inventory have none)."""

    utterances: list[tuple[Speaker, str]]
    coverage: list[LanguageCoverage]


def plan_corpus(
    languages: Sequence[str],
    speakers_per_language: int,
    utterances_per_speaker: int,
    seed: int,
    sounds: SoundsOf | None = None,
    balance_kinds: bool = False,
) -> CorpusPlan:
    """The sentences :func:`generate_corpus` speaks for these settings (text only: fast). ``sounds``
    reads a sentence's sounds (default: polyvox's front end); ``balance_kinds`` gives exclamations, questions
    and statements equal shares in place of the covering choice."""
    sounds = sounds if sounds is not None else frontend_sounds(languages)
    utterances: list[tuple[Speaker, str]] = []
    coverage: list[LanguageCoverage] = []
    for language in languages:
        speakers = speakers_for_language(language, speakers_per_language)
        generator = SentenceGenerator(grammar_for(language), seed)
        count = speakers_per_language * utterances_per_speaker
        inventory = load_inventory(language)
        if balance_kinds:
            sentences = kind_balanced_sentences(generator, count)
            if inventory is not None:
                found = set().union(*(sounds(sentence, language) for sentence in sentences))
                coverage.append(coverage_of(inventory, found & inventory.sounds()))
        elif inventory is None:
            sentences = generator.sentences(count)
        else:
            sentences, language_coverage = covering_sentences(generator, count, inventory, lambda text: sounds(text, language))
            coverage.append(language_coverage)
        # Round robin, so sentences picked for their sounds are spread over the speakers.
        for number, speaker in enumerate(speakers):
            utterances.extend((speaker, sentence) for sentence in sentences[number :: len(speakers)])
    return CorpusPlan(utterances, coverage)


def covering_sentences(
    generator: SentenceGenerator, count: int, inventory: PhonemeInventory, sounds: Callable[[str], set[Sound]]
) -> tuple[list[str], LanguageCoverage]:
    """``count`` sentences of ``generator`` that cover as much of ``inventory`` as its grammar can."""
    targets = inventory.sounds()
    candidates = generator.sentences(count)
    candidate_sounds = [sounds(sentence) & targets for sentence in candidates]
    present = set().union(*candidate_sounds)
    while present != targets and len(candidates) < CANDIDATE_FACTOR * count:
        try:
            more = generator.sentences(count)
        except CorpusTextError:
            break  # the grammar has no more unique sentences
        candidates.extend(more)
        candidate_sounds.extend(sounds(sentence) & targets for sentence in more)
        present = present.union(*candidate_sounds[-len(more) :])
    chosen = _greedy_cover(candidate_sounds, present)[:count]
    picked = set(chosen)
    ordinary = [index for index in range(len(candidates)) if index not in picked]
    kept = sorted(chosen + ordinary[: count - len(chosen)])
    covered = set().union(*(candidate_sounds[index] for index in kept))
    return [candidates[index] for index in kept], coverage_of(inventory, covered)


def _greedy_cover(candidate_sounds: list[set[Sound]], targets: set[Sound]) -> list[int]:
    """Indices of candidates that together have every target sound, most new sounds first (the earliest
    candidate on a tie, so the grammar's usual sentences are preferred)."""
    uncovered = set(targets)
    chosen: list[int] = []
    while uncovered:
        best = max(range(len(candidate_sounds)), key=lambda index: (len(candidate_sounds[index] & uncovered), -index))
        if not candidate_sounds[best] & uncovered:
            break
        chosen.append(best)
        uncovered -= candidate_sounds[best]
    return chosen


def frontend_sounds(languages: Sequence[str]) -> SoundsOf:
    """A sentence's sounds as polyvox's front end reads it (none for a sentence it cannot read)."""
    from polyvox.text.errors import TextError
    from polyvox.text.frontend import TextFrontend

    frontend = TextFrontend(languages)

    def read(text: str, language: str) -> set[Sound]:
        try:
            return sounds_of(frontend.phonemize(text, language))
        except TextError:
            return set()

    return read
