"""Errors raised by the text front end; every message says what to do about it."""

from __future__ import annotations

from polyvox.errors import PolyvoxError


class TextError(PolyvoxError, ValueError):
    """Text that the front end cannot turn into phonemes or ids."""


class UnknownSymbolError(TextError):
    """A phoneme token is missing from the voice's symbol table."""


class UnknownLanguageError(TextError):
    """A language code the front end cannot speak."""


class EmptyTextError(TextError):
    """The text is blank, or phonemizes to nothing that can be spoken."""
