"""Styles that follow the text: a corpus whose clips are labelled by what kind of sentence they say.

With ``style_by="turn"`` (the default) a speaker's clips take the styles in turn, so a clip's style says nothing
about its text. With ``style_by="sentence"`` each clip's style comes from its sentence's kind, read from its final
punctuation (``SENTENCE_KIND_STYLES``: exclamations excited, questions calm, statements neutral), as in expressive
data where how a line is said follows what it says: a style sampler trained on it has a relation to learn.

A grammar's usual draw is mostly statements (English: about 5 % exclamations, 15 % questions), so in this mode the
plan draws sentences until each kind has an equal share (``kind_balanced_sentences``), as far as the grammar has them.
"""

from __future__ import annotations

from collections.abc import Sequence

from polyvox.data.corpus.errors import CorpusError
from polyvox.data.corpus.sentences import CorpusTextError, SentenceGenerator

STYLE_ASSIGNMENTS = ("turn", "sentence")
# Each kind's style under style_by="sentence"; the order is the order kinds share out a corpus.
SENTENCE_KIND_STYLES: dict[str, str] = {"exclamation": "excited", "question": "calm", "statement": "neutral"}
# Final marks of each kind in the grammars' scripts (Latin, CJK full-width, Arabic).
_KIND_MARKS = {"exclamation": "!！", "question": "?？؟"}
# Sentences drawn while filling each kind's share, as a multiple of the sentences asked for.
BALANCE_CANDIDATE_FACTOR = 12


def sentence_kind(text: str) -> str:
    """``text``'s kind by its final punctuation: exclamation, question, or statement (anything else)."""
    stripped = text.rstrip(" \"'»”」』)")
    for kind, marks in _KIND_MARKS.items():
        if stripped.endswith(tuple(marks)):
            return kind
    return "statement"


def sentence_style(text: str) -> str:
    """The style label ``style_by="sentence"`` gives ``text``."""
    return SENTENCE_KIND_STYLES[sentence_kind(text)]


def check_style_assignment(style_by: str, styles: Sequence[str]) -> None:
    """One-line errors for a ``style_by`` that is unknown, or "sentence" without exactly the mapping's styles."""
    if style_by not in STYLE_ASSIGNMENTS:
        raise CorpusError(f"unknown --style-by {style_by!r}; known: {', '.join(STYLE_ASSIGNMENTS)}")
    if style_by != "sentence":
        return
    mapping = ", ".join(f"{kind}s {style}" for kind, style in SENTENCE_KIND_STYLES.items())
    needed = ",".join(SENTENCE_KIND_STYLES.values())
    named = {name.strip() for name in styles if name.strip()}
    if not named:
        raise CorpusError(f"--style-by sentence needs --styles {needed} (it labels {mapping})")
    if named != set(SENTENCE_KIND_STYLES.values()):
        raise CorpusError(f"--style-by sentence labels {mapping}: give --styles {needed}, not {','.join(styles)}")


def kind_balanced_sentences(generator: SentenceGenerator, count: int) -> list[str]:
    """``count`` sentences of ``generator``, each kind an equal share (a kind the grammar lacks or runs out of leaves
    its share to the others), in the order they were drawn."""
    kinds = tuple(SENTENCE_KIND_STYLES)
    shares = {kind: count // len(kinds) + (number < count % len(kinds)) for number, kind in enumerate(kinds)}
    drawn: list[str] = []
    while len(drawn) < BALANCE_CANDIDATE_FACTOR * count and any(
        sum(sentence_kind(text) == kind for text in drawn) < share for kind, share in shares.items()
    ):
        try:
            drawn.extend(generator.sentences(count))
        except CorpusTextError:
            break  # the grammar has no more unique sentences
    by_kind = {kind: [index for index, text in enumerate(drawn) if sentence_kind(text) == kind] for kind in kinds}
    chosen = [index for kind in kinds for index in by_kind[kind][: shares[kind]]]
    spare = sorted(set(range(len(drawn))) - set(chosen))
    chosen += spare[: count - len(chosen)]
    return [drawn[index] for index in sorted(chosen)]
