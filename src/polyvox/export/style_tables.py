"""A style voice's tables in ``voice.onnx.json``: each label's style vector and the neutral style (no torch here).

The exported graphs take the style vector itself (``style_vectors``), so an engine computes it outside them, as
``StyleEncoder.blended`` does: the neutral style moved ``strength`` of the way to a label's vector. The rows are
stored after the encoder's tanh, so an engine needs no model code, only this arithmetic (in float32, as torch).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class StyleTables:
    labels: tuple[str, ...]  # the voice's style labels (what --emotion takes), in table order
    label_vectors: tuple[tuple[float, ...], ...]  # one style vector (style_channels,) per label
    neutral: tuple[float, ...]  # the style of strength 0, and of a request with no emotion

    @property
    def channels(self) -> int:
        return len(self.neutral)

    def style(self, label: int | None, strength: float) -> np.ndarray:
        """The style (1, channels) of label row ``label`` at ``strength``; the neutral style for None."""
        if label is None:
            return np.asarray(self.neutral, dtype=np.float32)[None, :]
        return self.blended(np.asarray(self.label_vectors[label], dtype=np.float32), strength)

    def blended(self, given: np.ndarray, strength: float) -> np.ndarray:
        """The neutral style moved ``strength`` of the way to ``given`` (channels,): a style (1, channels)."""
        neutral = np.asarray(self.neutral, dtype=np.float32)
        return (neutral + np.float32(strength) * (np.asarray(given, dtype=np.float32) - neutral))[None, :]

    def to_dict(self) -> dict[str, Any]:
        return {
            "labels": list(self.labels),
            "label_vectors": [list(row) for row in self.label_vectors],
            "neutral": list(self.neutral),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StyleTables:
        """Raises KeyError, TypeError or ValueError for a malformed section (the metadata reader names the file)."""
        tables = cls(
            labels=tuple(str(label) for label in data["labels"]),
            label_vectors=tuple(tuple(float(value) for value in row) for row in data["label_vectors"]),
            neutral=tuple(float(value) for value in data["neutral"]),
        )
        if len(tables.label_vectors) != len(tables.labels) or any(len(row) != tables.channels for row in tables.label_vectors):
            raise ValueError(f"style: {len(tables.labels)} labels need as many rows of {tables.channels} values")
        return tables
