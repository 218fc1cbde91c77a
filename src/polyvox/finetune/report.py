"""The fine-tuning load report: what became of every tensor of the source and of the model."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Literal

from polyvox.files import atomic_path

Status = Literal["loaded", "grown", "missing", "unexpected", "shape_mismatch"]
STATUSES: tuple[Status, ...] = ("loaded", "grown", "missing", "unexpected", "shape_mismatch")
_MEANING = {
    "loaded": "copied unchanged",
    "grown": "table grown: trained rows copied, new rows initialised as stated",
    "missing": "in the model, not in the source: kept as initialised",
    "unexpected": "in the source, not in the model: ignored",
    "shape_mismatch": "other shape in the source: kept as initialised",
}


@dataclass(frozen=True)
class TensorEntry:
    name: str  # e.g. "generator.decoder.conv_pre.weight"
    status: Status
    shape: tuple[int, ...]  # in the model (in the source for "unexpected")
    source_shape: tuple[int, ...] | None = None  # when it differs from ``shape``
    detail: str = ""  # for "grown": rows kept and how each new row was initialised

    def line(self) -> str:
        shape = "x".join(str(size) for size in self.shape) or "scalar"
        text = f"{self.status:<15} {self.name} [{shape}]"
        if self.source_shape is not None:
            text += f" (source [{'x'.join(str(size) for size in self.source_shape)}])"
        return text + (f": {self.detail}" if self.detail else "")


@dataclass
class FinetuneReport:
    """Every tensor, one entry each; ``notes`` add what is not a tensor (the discriminator, an import)."""

    source: str
    entries: list[TensorEntry] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def count(self, status: Status) -> int:
        return sum(entry.status == status for entry in self.entries)

    def lines(self) -> list[str]:
        """One line per tensor, then the notes and the summary."""
        return [entry.line() for entry in self.entries] + [f"note: {note}" for note in self.notes] + [self.summary()]

    def summary(self) -> str:
        counts = ", ".join(f"{self.count(status)} {status.replace('_', ' ')}" for status in STATUSES)
        return f"from {self.source}: {len(self.entries)} tensors: {counts}"

    def legend(self) -> list[str]:
        return [f"{status:<15} {meaning}" for status, meaning in _MEANING.items()]

    def write(self, path: Path) -> Path:
        data = {"source": self.source, "entries": [asdict(entry) for entry in self.entries], "notes": self.notes}
        with atomic_path(path) as temporary:
            temporary.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
        return path
