"""The ranges of the speaking options that both ``polyvox say`` and the HTTP API accept: outside them a
voice speaks nothing useful (a 0.01 s file, full-scale noise) or a seed does not fit a 64-bit generator."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Bound:
    low: float
    high: float

    def problem(self, option: str, value: float) -> str | None:
        """None when ``value`` is finite and within the bound; else one line saying what is accepted."""
        if math.isfinite(value) and self.low <= value <= self.high:
            return None
        return f"{option} must be between {self.low:g} and {self.high:g}, got {value:g}"


SPEED = Bound(0.25, 4.0)
NOISE_SCALE = Bound(0.0, 2.0)
NOISE_SCALE_DURATION = Bound(0.0, 2.0)
# torch and numpy random generators take seeds up to 2**63 - 1 as a signed 64-bit integer.
MAX_SEED = 2**63 - 1
