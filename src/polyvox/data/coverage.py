"""Phoneme coverage: which sounds of a language's inventory a corpus or a dataset contains.

A language's inventory (``polyvox/text/data/phoneme_inventory_<language>.json``, written by
``tools/phoneme_inventory.py`` from the language's most frequent words read by polyvox's own front end)
lists its phonemes, bare as in the ``features`` input scheme, and the (phoneme, accent) pairs it uses:
stress for espeak-ng languages, tone for Mandarin, pitch accent for Japanese. A voice never trained on a
phoneme cannot say it well, so the corpus generator covers every one, and training and preparation
name the phonemes a dataset lacks.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

from polyvox.text.errors import TextError
from polyvox.text.frontend import SILENT_TOKENS
from polyvox.text.prosody import with_features
from polyvox.text.token import Token

if TYPE_CHECKING:
    from polyvox.data.manifest import Utterance

logger = logging.getLogger(__name__)

# A sound: a phoneme alone (accent None) or a phoneme with an accent ("" is unaccented).
Sound = tuple[str, str | None]
INVENTORY_FILE = "phoneme_inventory_{language}.json"
_SHOWN = 12


@dataclass(frozen=True)
class PhonemeInventory:
    """A language's phonemes (most frequent first, with example words) and its phoneme x accent pairs."""

    language: str
    phonemes: tuple[str, ...]
    pairs: tuple[tuple[str, str], ...]
    examples: Mapping[str, tuple[str, ...]]

    def sounds(self) -> frozenset[Sound]:
        return frozenset([(phoneme, None) for phoneme in self.phonemes] + list(self.pairs))


def load_inventory(language: str) -> PhonemeInventory | None:
    """The inventory shipped for ``language``, or None when polyvox has none for it."""
    path = resources.files("polyvox.text") / "data" / INVENTORY_FILE.format(language=language)
    if not path.is_file():
        return None
    content = json.loads(path.read_text(encoding="utf-8"))
    return PhonemeInventory(
        language=language,
        phonemes=tuple(entry["phoneme"] for entry in content["phonemes"]),
        pairs=tuple((entry["phoneme"], entry["accent"]) for entry in content["pairs"]),
        examples={entry["phoneme"]: tuple(entry["examples"]) for entry in content["phonemes"]},
    )


def sounds_of(tokens: Sequence[Token]) -> set[Sound]:
    """The phonemes and (phoneme, accent) pairs of tokens of either input scheme; separators and
    punctuation are left out."""
    sounds: set[Sound] = set()
    for token in with_features(tokens):
        if token.symbol not in SILENT_TOKENS:
            sounds.update(((token.symbol, None), (token.symbol, token.accent)))
    return sounds


def pair_name(phoneme: str, accent: str) -> str:
    """``ɪ/ˌ``, ``an/3``, ``hy/L``; ``ə/-`` for the unaccented phoneme."""
    return f"{phoneme}/{accent or '-'}"


@dataclass(frozen=True)
class LanguageCoverage:
    """How much of one language's inventory a set of sentences or clips contains, and what it lacks."""

    language: str
    phonemes: int
    missing_phonemes: tuple[str, ...]
    pairs: int
    missing_pairs: tuple[tuple[str, str], ...]
    examples: Mapping[str, tuple[str, ...]]

    @property
    def phonemes_covered(self) -> int:
        return self.phonemes - len(self.missing_phonemes)

    @property
    def pairs_covered(self) -> int:
        return self.pairs - len(self.missing_pairs)

    def line(self) -> str:
        text = (
            f"{self.language}: phonemes {self.phonemes_covered}/{self.phonemes}, "
            f"phoneme x accent {self.pairs_covered}/{self.pairs}"
        )
        if self.missing_phonemes:
            text += f"; missing phonemes {_shown(self.missing_phonemes)}"
        if self.missing_pairs:
            text += f"; missing pairs {_shown([pair_name(*pair) for pair in self.missing_pairs])}"
        return text

    def missing_with_examples(self) -> str:
        """``'ʒ' (usually, decision), 'ʔ' (certain)``: the missing phonemes with words that have them."""
        return ", ".join(
            f"{phoneme!r} ({', '.join(self.examples.get(phoneme, ())[:2])})" for phoneme in self.missing_phonemes
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "phonemes_covered": self.phonemes_covered,
            "phonemes": self.phonemes,
            "missing_phonemes": list(self.missing_phonemes),
            "pairs_covered": self.pairs_covered,
            "pairs": self.pairs,
            "missing_pairs": [list(pair) for pair in self.missing_pairs],
        }


def coverage_of(inventory: PhonemeInventory, sounds: Iterable[Sound]) -> LanguageCoverage:
    present = set(sounds)
    return LanguageCoverage(
        language=inventory.language,
        phonemes=len(inventory.phonemes),
        missing_phonemes=tuple(phoneme for phoneme in inventory.phonemes if (phoneme, None) not in present),
        pairs=len(inventory.pairs),
        missing_pairs=tuple(pair for pair in inventory.pairs if pair not in present),
        examples=inventory.examples,
    )


TokensOf = Callable[["Utterance"], Sequence[Token]]


def data_coverage(utterances: Iterable[Utterance], tokens_of: TokensOf) -> list[LanguageCoverage]:
    """Coverage of every language of ``utterances`` that has an inventory, reading each clip with
    ``tokens_of`` (``TextRules.utterance_tokens``); a clip whose text cannot be read adds nothing."""
    sounds: dict[str, set[Sound]] = {}
    for utterance in utterances:
        try:
            tokens = tokens_of(utterance)
        except TextError:
            continue
        sounds.setdefault(utterance.language, set()).update(sounds_of(tokens))
    result = []
    for language, present in sounds.items():
        inventory = load_inventory(language)
        if inventory is not None:
            result.append(coverage_of(inventory, present))
    return result


def report_data_coverage(utterances: Iterable[Utterance], tokens_of: TokensOf, what: str) -> dict[str, Any]:
    """Log each language's coverage (a warning naming the phonemes ``what`` lacks) and return the
    figures for a JSON report: ``{language: {phonemes_covered, phonemes, missing_phonemes, ...}}``."""
    coverage = data_coverage(utterances, tokens_of)
    for language in coverage:
        if language.missing_phonemes:
            logger.warning(
                "%s has no clip with the %s phoneme(s) %s (%d of %d of the language's phonemes covered): a voice "
                "trained on it will say them poorly; add recordings with such words",
                what, language.language, language.missing_with_examples(), language.phonemes_covered, language.phonemes,
            )
        else:
            logger.info("%s covers all %d %s phonemes", what, language.phonemes, language.language)
    return {language.language: language.to_dict() for language in coverage}


def _shown(items: Sequence[str]) -> str:
    more = f" and {len(items) - _SHOWN} more" if len(items) > _SHOWN else ""
    return ", ".join(items[:_SHOWN]) + more
