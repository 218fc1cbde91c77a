"""Deterministic generation of varied, unique sentences from per-language grammars.

A grammar is a set of templates with ``{slot}`` placeholders and a vocabulary per slot. A slot
entry may be a tuple of forms (e.g. an English verb as ``("reads", "read")``); ``{verb.1}``
picks form 1 of the same entry as ``{verb}``. ``{noun#2}`` is a second, different draw from
the same slot (for lists).
"""

from __future__ import annotations

import importlib
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass

from polyvox.errors import PolyvoxError

_PLACEHOLDER = re.compile(r"\{(\w+)(?:#(\d+))?(?:\.(\d+))?\}")

# Module (under polyvox.data.corpus.grammars) holding each language's GRAMMAR.
GRAMMAR_MODULES: dict[str, str] = {
    "en": "english",
    "es": "spanish",
    "fr": "french",
    "de": "german",
    "zh": "mandarin",
    "ja": "japanese",
    "ru": "russian",
    "ar": "arabic",
}

SlotEntry = str | tuple[str, ...]


class CorpusTextError(PolyvoxError, ValueError):
    """A grammar cannot produce the sentences asked for; the message says how to fix the request."""


@dataclass(frozen=True)
class Grammar:
    """Templates (with a weight each) and the vocabulary of every slot they use.

    Templates carry their own spacing, so scripts written without spaces (Chinese, Japanese
    kana) work the same way as the others.
    """

    language: str
    templates: tuple[tuple[str, float], ...]
    slots: Mapping[str, tuple[SlotEntry, ...]]

    def __post_init__(self) -> None:
        for template, _weight in self.templates:
            for match in _PLACEHOLDER.finditer(template):
                if match.group(1) not in self.slots:
                    raise CorpusTextError(f"{self.language} template {template!r} uses unknown slot {match.group(1)!r}")


def grammar_for(language: str) -> Grammar:
    """The built-in grammar of ``language`` (imported on first use)."""
    module_name = GRAMMAR_MODULES.get(language)
    if module_name is None:
        raise CorpusTextError(f"no sentence grammar for language {language!r}; available: {sorted(GRAMMAR_MODULES)}")
    module = importlib.import_module(f"polyvox.data.corpus.grammars.{module_name}")
    grammar: Grammar = module.GRAMMAR
    return grammar


class SentenceGenerator:
    """Draws unique sentences from a grammar; the sequence depends only on the grammar and seed."""

    def __init__(self, grammar: Grammar, seed: int) -> None:
        self.grammar = grammar
        self._random = random.Random(f"polyvox-corpus-{grammar.language}-{seed}")
        self._seen: set[str] = set()
        self._templates = [template for template, _ in grammar.templates]
        self._weights = [weight for _, weight in grammar.templates]

    def sentences(self, count: int, max_attempts_per_sentence: int = 200) -> list[str]:
        """``count`` new sentences, none repeating any sentence this generator produced before."""
        result: list[str] = []
        attempts = 0
        while len(result) < count:
            attempts += 1
            if attempts > max_attempts_per_sentence * max(count, 1):
                raise CorpusTextError(
                    f"the {self.grammar.language} grammar produced only {len(result)} unique sentences of "
                    f"{count} requested; ask for fewer utterances per language"
                )
            template = self._random.choices(self._templates, weights=self._weights)[0]
            sentence = self._fill(template)
            if sentence not in self._seen:
                self._seen.add(sentence)
                result.append(sentence)
        return result

    def _fill(self, template: str) -> str:
        chosen: dict[tuple[str, str], SlotEntry] = {}
        used: dict[str, set[int]] = {}

        def replace(match: re.Match[str]) -> str:
            slot, draw, form = match.group(1), match.group(2) or "0", int(match.group(3) or 0)
            key = (slot, draw)
            if key not in chosen:
                vocabulary = self.grammar.slots[slot]
                taken = used.setdefault(slot, set())
                free = [index for index in range(len(vocabulary)) if index not in taken] or list(range(len(vocabulary)))
                index = self._random.choice(free)
                taken.add(index)
                chosen[key] = vocabulary[index]
            entry = chosen[key]
            if isinstance(entry, str):
                return entry
            return entry[min(form, len(entry) - 1)]

        text = _PLACEHOLDER.sub(replace, template)
        text = re.sub(r" {2,}", " ", text).strip()
        for index, character in enumerate(text):
            if character.isalpha():
                return text[:index] + character.upper() + text[index + 1 :]
        return text
