"""Text front end: normalisation, phonemization per language family, symbol tables and ids.

Importing this package is cheap; espeak-ng, pypinyin and pyopenjtalk load on first use.
"""

from polyvox.text.errors import EmptyTextError, TextError, UnknownLanguageError, UnknownSymbolError
from polyvox.text.frontend import LANGUAGES, TextFrontend
from polyvox.text.ids import to_ids
from polyvox.text.normalize import normalize
from polyvox.text.symbols import SymbolTable
from polyvox.text.token import Token

__all__ = [
    "LANGUAGES",
    "EmptyTextError",
    "SymbolTable",
    "TextError",
    "TextFrontend",
    "Token",
    "UnknownLanguageError",
    "UnknownSymbolError",
    "normalize",
    "to_ids",
]
