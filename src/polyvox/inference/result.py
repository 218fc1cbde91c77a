"""What synthesis returns and raises, shared by the PyTorch and the ONNX engines (no torch here)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from polyvox.errors import PolyvoxError


class SynthesisError(PolyvoxError, ValueError):
    """The request cannot be spoken by this voice (unknown language or speaker, bad scale)."""


@dataclass(frozen=True)
class SynthesisResult:
    samples: np.ndarray  # float32 mono in [-1, 1]
    sample_rate: int

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate
