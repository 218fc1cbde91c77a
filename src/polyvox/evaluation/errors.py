"""The error ``polyvox evaluate`` reports as one line."""

from __future__ import annotations

from polyvox.errors import PolyvoxError


class EvaluationError(PolyvoxError, ValueError):
    """An evaluation cannot run (missing or mismatched inputs); the message says what to fix."""
