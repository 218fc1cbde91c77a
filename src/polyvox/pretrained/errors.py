"""Errors of checkpoint import: each message says what was found and what to do."""

from __future__ import annotations

from polyvox.errors import PolyvoxError


class PretrainedImportError(PolyvoxError, ValueError):
    """A checkpoint of another project cannot be imported as it is; the message says why and what to pass."""


class UnknownLayoutError(PretrainedImportError):
    """The file is a readable checkpoint but of no layout polyvox imports; names what was recognised and what not."""


class UnsafeCheckpointError(PretrainedImportError):
    """The checkpoint holds a pickled object that weights-only loading refuses (it could run code)."""
