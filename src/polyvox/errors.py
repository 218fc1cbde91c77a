"""Errors whose message is meant for the user, in a module that imports nothing heavy, so the CLI can
catch them without loading torch or Lightning.

Every such error of polyvox, wherever it is defined, derives from ``PolyvoxError``: the CLI prints one
as a single ``error:`` line (exit 1), the server answers it as JSON, the web UI shows it on the page.
Each also keeps the built-in base it had (``ValueError``, ``RuntimeError``), so older ``except`` clauses hold.
"""

from __future__ import annotations


class PolyvoxError(Exception):
    """A failure the user can act on; the message says what went wrong and what to do (no traceback needed)."""


class VoiceFileError(PolyvoxError, ValueError):
    """A voice file is missing, unreadable or not a polyvox voice; the message says which."""


class TrainingSetupError(PolyvoxError, ValueError):
    """The data or run folder cannot be trained on; the message says what to change."""


class TrainingDivergedError(PolyvoxError, RuntimeError):
    """Training keeps producing NaN or infinite values, even after going back to a good checkpoint."""


class ReferenceClipError(PolyvoxError, ValueError):
    """A reference clip cannot give a timbre: too short, silent, or the voice has no reference encoder."""


class CheckpointReadError(VoiceFileError):
    """A training checkpoint is missing, empty or truncated."""


class UnsafeCheckpointError(VoiceFileError):
    """A checkpoint holds pickled objects that weights-only loading refuses (they could run code)."""


class OutputWriteError(PolyvoxError, RuntimeError):
    """A finished file cannot be written (full disk, no permission); the message names the path and the cause."""
