"""Tokens to model inputs: phoneme ids with BOS/EOS and optional blanks, and per-id language ids."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from polyvox.text.errors import EmptyTextError, UnknownLanguageError
from polyvox.text.symbols import BOS_ID, EOS_ID, PAD_ID, SymbolTable
from polyvox.text.token import Token


def to_ids(
    tokens: Sequence[Token], symbols: SymbolTable, add_blank: bool, language_ids: Mapping[str, int]
) -> tuple[list[int], list[int]]:
    """``(phoneme_ids, language_ids)`` of equal length: ``^ tokens $``, with the blank id 0 between
    every pair of ids when ``add_blank`` (a blank takes the language of the id before it)."""
    if not tokens:
        raise EmptyTextError("no tokens to convert to ids; phonemize a non-empty text first")
    missing = sorted({token.language for token in tokens} - set(language_ids))
    if missing:
        raise UnknownLanguageError(
            f"language(s) {missing} have no language id (known: {dict(language_ids)}); "
            "add them to the voice's languages before using them"
        )
    phoneme_ids = [BOS_ID, *symbols.encode([token.symbol for token in tokens]), EOS_ID]
    token_languages = [language_ids[token.language] for token in tokens]
    languages = [token_languages[0], *token_languages, token_languages[-1]]
    if not add_blank:
        return phoneme_ids, languages
    blanked_ids = [PAD_ID]
    blanked_languages = [languages[0]]
    for symbol_id, language_id in zip(phoneme_ids, languages):
        blanked_ids.extend((symbol_id, PAD_ID))
        blanked_languages.extend((language_id, language_id))
    return blanked_ids, blanked_languages
