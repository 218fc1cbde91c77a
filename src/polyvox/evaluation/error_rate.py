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

    def capped(self) -> EditCounts:
        """The counts with insertions cut so that the errors do not exceed the reference's length: a transcript that
        runs on (a recognizer repeating itself on a clip it cannot read) counts as one wholly wrong clip, not as many."""
        # Every reference unit is matched, substituted or deleted once, so the room is never negative.
        room = max(self.reference_length, 1) - self.substitutions - self.deletions
        return EditCounts(self.substitutions, self.deletions, min(self.insertions, room), self.reference_length)

    def __add__(self, other: EditCounts) -> EditCounts:
        return EditCounts(
            self.substitutions + other.substitutions, self.deletions + other.deletions,
            self.insertions + other.insertions, self.reference_length + other.reference_length,
        )


def aligned_pairs(reference: Sequence[str], hypothesis: Sequence[str]) -> list[tuple[int | None, int | None]]:
    """Levenshtein alignment as (reference index, hypothesis index) pairs in order, None on the side that has no
    unit; among paths of equal cost, substitutions are preferred."""
    columns = len(hypothesis) + 1
    cost = [list(range(columns))]
    for row, wanted in enumerate(reference, start=1):
        above, current = cost[-1], [row]
        for column, heard in enumerate(hypothesis, start=1):
            current.append(min(above[column - 1] + (wanted != heard), above[column] + 1, current[column - 1] + 1))
        cost.append(current)
    pairs: list[tuple[int | None, int | None]] = []
    row, column = len(reference), len(hypothesis)
    while row > 0 or column > 0:
        if row > 0 and column > 0 and cost[row][column] == cost[row - 1][column - 1] + (reference[row - 1] != hypothesis[column - 1]):
            row, column = row - 1, column - 1
            pairs.append((row, column))
        elif row > 0 and cost[row][column] == cost[row - 1][column] + 1:
            row -= 1
            pairs.append((row, None))
        else:
            column -= 1
            pairs.append((None, column))
    return pairs[::-1]


def edit_counts(reference: Sequence[str], hypothesis: Sequence[str]) -> EditCounts:
    """The edits of ``aligned_pairs``' path: substitutions, deletions (reference units unheard), insertions."""
    pairs = aligned_pairs(reference, hypothesis)
    substitutions = sum(1 for wanted, heard in pairs if wanted is not None and heard is not None and reference[wanted] != hypothesis[heard])
    deletions = sum(1 for _, heard in pairs if heard is None)
    insertions = sum(1 for wanted, _ in pairs if wanted is None)
    return EditCounts(substitutions, deletions, insertions, len(reference))


def pooled(counts: Iterable[EditCounts]) -> EditCounts:
    """All clips' counts added: the pooled rate is total errors over total reference units."""
    total = EditCounts(0, 0, 0, 0)
    for item in counts:
        total = total + item
    return total
