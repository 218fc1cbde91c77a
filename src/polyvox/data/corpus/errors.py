"""The error of a synthetic corpus that cannot be made as asked (its languages, speakers, sizes)."""

from __future__ import annotations

from polyvox.errors import PolyvoxError


class CorpusError(PolyvoxError, ValueError):
    """A corpus that cannot be made as asked; the message says what to change."""
