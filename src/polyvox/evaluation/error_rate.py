"""Edit distance between a reference and a recognizer's transcript, and error rates pooled over clips.

"Reference" and "hypothesis" are the words of ASR scoring (jiwer, NIST sclite): the reference is the text
that should have been said, not a recording (the rest of evaluation calls the ground-truth audio a
recording). ``reference_length`` keeps that name in every report's ``character_counts`` / ``word_counts``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class EditCounts:
    """The fewest substitutions, deletions and insertions turning the reference into the hypothesis."""

    substitutions: int
    deletions: int
    insertions: int
    reference_length: int

    @property
    def errors(self) -> int:
        return self.substitutions + self.deletions + self.insertions

    @property
    def rate(self) -> float:
        """Errors per reference unit (can exceed 1 with insertions); an empty reference counts as one unit."""
        return self.errors / max(self.reference_length, 1)

    def __add__(self, other: EditCounts) -> EditCounts:
        return EditCounts(
            self.substitutions + other.substitutions, self.deletions + other.deletions,
            self.insertions + other.insertions, self.reference_length + other.reference_length,
        )


def edit_counts(reference: Sequence[str], hypothesis: Sequence[str]) -> EditCounts:
    """Levenshtein alignment of two unit sequences; among paths of equal cost, substitutions are preferred."""
    # Each cell: (cost, substitutions, deletions, insertions) of the best path to it.
    previous = [(column, 0, 0, column) for column in range(len(hypothesis) + 1)]
    for row, wanted in enumerate(reference, start=1):
        current = [(row, 0, row, 0)]
        for column, heard in enumerate(hypothesis, start=1):
            diagonal = previous[column - 1]
            same = wanted == heard
            candidates = (
                (diagonal[0] + (0 if same else 1), diagonal[1] + (0 if same else 1), diagonal[2], diagonal[3]),
                (previous[column][0] + 1, previous[column][1], previous[column][2] + 1, previous[column][3]),
                (current[column - 1][0] + 1, current[column - 1][1], current[column - 1][2], current[column - 1][3] + 1),
            )
            current.append(min(candidates, key=lambda cell: cell[0]))
        previous = current
    _, substitutions, deletions, insertions = previous[-1]
    return EditCounts(substitutions, deletions, insertions, len(reference))


def pooled(counts: Iterable[EditCounts]) -> EditCounts:
    """All clips' counts added: the pooled rate is total errors over total reference units."""
    total = EditCounts(0, 0, 0, 0)
    for item in counts:
        total = total + item
    return total
