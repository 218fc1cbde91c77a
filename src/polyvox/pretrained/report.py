"""The loading report of an import: the fate of every tensor, by name and shape, and what was not carried over."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

Shape = tuple[int, ...]


def show_shape(shape: Shape) -> str:
    return "[" + ", ".join(str(size) for size in shape) + "]"


@dataclass(frozen=True)
class LoadedTensor:
    """A polyvox tensor filled from source tensors (several for a weight-norm pair or folded embeddings)."""

    sources: tuple[str, ...]
    source_shapes: tuple[Shape, ...]
    target: str
    shape: Shape
    how: str  # "copied", "rows remapped symbol by symbol", "weight_g/weight_v as weight-norm parametrization", ...

    def line(self) -> str:
        sources = ", ".join(f"{name} {show_shape(shape)}" for name, shape in zip(self.sources, self.source_shapes))
        return f"loaded: {sources} -> {self.target} {show_shape(self.shape)} ({self.how})"


@dataclass(frozen=True)
class MissingTensor:
    """A polyvox tensor with no source: left as initialised, or set as ``initialisation`` says."""

    target: str
    shape: Shape
    initialisation: str

    def line(self) -> str:
        return f"missing: {self.target} {show_shape(self.shape)} ({self.initialisation})"


@dataclass(frozen=True)
class UnexpectedTensor:
    """A source tensor polyvox does not use."""

    source: str
    shape: Shape
    reason: str

    def line(self) -> str:
        return f"not imported: {self.source} {show_shape(self.shape)} ({self.reason})"


@dataclass(frozen=True)
class MismatchedTensor:
    """A source tensor whose polyvox counterpart has another shape: the counterpart stays as initialised."""

    source: str
    target: str
    source_shape: Shape
    target_shape: Shape
    initialisation: str

    def line(self) -> str:
        return (
            f"shape mismatch: {self.source} {show_shape(self.source_shape)} -> {self.target} "
            f"{show_shape(self.target_shape)} ({self.initialisation})"
        )


# Missing tensors of one module with one reason are shown as one line from this many on (--verbose lists each).
MIN_GROUP = 4


def _module(name: str) -> str:
    """The module a tensor belongs to, two levels deep ("posterior_encoder.wavenet")."""
    return ".".join(name.split(".")[:2])


def _common_prefix(names: list[str]) -> str:
    parts = [name.split(".") for name in names]
    common = []
    for pieces in zip(*parts):
        if len(set(pieces)) > 1:
            break
        common.append(pieces[0])
    return ".".join(common)


def _missing_runs(missing: list[MissingTensor]) -> list[tuple[str, str, list[MissingTensor]]]:
    """Consecutive missing tensors grouped by (module, reason)."""
    runs: list[tuple[str, str, list[MissingTensor]]] = []
    for entry in missing:
        key = (_module(entry.target), entry.initialisation)
        if runs and runs[-1][:2] == key:
            runs[-1][2].append(entry)
        else:
            runs.append((*key, [entry]))
    return runs


@dataclass
class ImportReport:
    """Every source tensor is loaded, unexpected or shape-mismatched; every polyvox tensor is loaded or missing."""

    layout: str
    loaded: list[LoadedTensor] = field(default_factory=list)
    missing: list[MissingTensor] = field(default_factory=list)
    unexpected: list[UnexpectedTensor] = field(default_factory=list)
    shape_mismatched: list[MismatchedTensor] = field(default_factory=list)
    # What the source computes that the imported voice does not (or does differently), and settings chosen.
    notes: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not (self.missing or self.unexpected or self.shape_mismatched)

    def summary(self) -> str:
        return (
            f"{self.layout} checkpoint: loaded {len(self.loaded)} polyvox tensors; {len(self.missing)} missing, "
            f"{len(self.unexpected)} source tensors not imported, {len(self.shape_mismatched)} with another shape"
        )

    def lines(self) -> list[str]:
        """The notes, then one line per tensor that was not loaded (missing, not imported, shape mismatch)."""
        return (
            [f"note: {note}" for note in self.notes]
            + [entry.line() for entry in self.missing]
            + [entry.line() for entry in self.unexpected]
            + [entry.line() for entry in self.shape_mismatched]
        )

    def grouped_lines(self) -> list[str]:
        """``lines()`` with runs of missing tensors that share a reason and a module shown as one line each."""
        grouped: list[str] = []
        for _, reason, entries in _missing_runs(self.missing):
            if len(entries) < MIN_GROUP:
                grouped.extend(entry.line() for entry in entries)
            else:
                grouped.append(f"missing: {_common_prefix([entry.target for entry in entries])}.* ({len(entries)} tensors) ({reason})")
        return (
            [f"note: {note}" for note in self.notes]
            + grouped
            + [entry.line() for entry in self.unexpected]
            + [entry.line() for entry in self.shape_mismatched]
        )

    def all_lines(self) -> list[str]:
        """``lines()`` followed by one line per loaded tensor: the whole report."""
        return self.lines() + [entry.line() for entry in self.loaded]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
