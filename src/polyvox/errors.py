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


class CheckpointReadError(VoiceFileError):
    """A training checkpoint is missing, empty or truncated."""


class UnsafeCheckpointError(VoiceFileError):
    """A checkpoint holds pickled objects that weights-only loading refuses (they could run code)."""


class OutputWriteError(RuntimeError):
    """A finished file cannot be written (full disk, no permission); the message names the path and the cause."""
