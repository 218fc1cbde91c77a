"""Errors of ``polyvox prepare``; each message says what to do about it."""

from __future__ import annotations

from polyvox.errors import PolyvoxError


class PrepareError(PolyvoxError, ValueError):
    """The input or the settings of a preparation run are unusable."""


class TranscriptionError(PrepareError):
    """The local speech-recognition model is missing, incomplete or failed."""
