"""Errors whose message is meant for the user, in a module that imports nothing heavy, so the CLI can
catch them without loading torch or Lightning."""

from __future__ import annotations


class VoiceFileError(ValueError):
    """A voice file is missing, unreadable or not a polyvox voice; the message says which."""


class TrainingSetupError(ValueError):
    """The data or run folder cannot be trained on; the message says what to change."""


class TrainingDivergedError(RuntimeError):
    """Training keeps producing NaN or infinite values, even after going back to a good checkpoint."""


class ReferenceClipError(ValueError):
    """A reference clip cannot give a timbre: too short, silent, or the voice has no reference encoder."""
