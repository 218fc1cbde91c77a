"""Tokens to model inputs: phoneme ids with BOS/EOS and optional blanks, per-id language ids and
per-id prosody ids."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import NamedTuple

from polyvox.text.errors import EmptyTextError, UnknownLanguageError
from polyvox.text.symbols import BOS_ID, EOS_ID, PAD_ID, SymbolTable
from polyvox.text.prosody import prosody_id
from polyvox.text.token import Token


class EncodedText(NamedTuple):
    """A sentence as model inputs, three sequences of equal length."""

    phoneme_ids: list[int]
    language_ids: list[int]
    # Accent and length of each id (``prosody.prosody_id``); 0 (unmarked) for reserved ids, blanks,
    # separators and punctuation, and everywhere in voices of the ``fused`` scheme.
    prosody_ids: list[int]


def to_ids(
    tokens: Sequence[Token], symbols: SymbolTable, add_blank: bool, language_ids: Mapping[str, int], layout: str = "polyvox",
    split_codepoints: bool = False,
) -> tuple[list[int], list[int]]:
    """``(phoneme_ids, language_ids)`` of :func:`encode_ids`."""
    encoded = encode_ids(tokens, symbols, add_blank, language_ids, layout, split_codepoints)
    return encoded.phoneme_ids, encoded.language_ids


def encode_ids(
    tokens: Sequence[Token],
    symbols: SymbolTable,
    add_blank: bool,
    language_ids: Mapping[str, int],
    layout: str = "polyvox",
    split_codepoints: bool = False,
) -> EncodedText:
    """Phoneme, language and prosody ids of equal length: ``^ tokens $``, with the blank id 0 between
    every pair of ids when ``add_blank`` (a blank takes the language of the id before it).

    ``layout`` (``TextConfig.sequence_layout``) reproduces other projects' ids: ``"piper"`` gives
    ``^ _ t _ ... t _ $`` (no blank outside BOS/EOS), ``"vits"`` gives ``_ t _ ... t _`` (no BOS/EOS).
    ``split_codepoints`` (``TextConfig.token_unit == "codepoint"``) numbers each character of a token.
    """
    if not tokens:
        raise EmptyTextError("no tokens to convert to ids; phonemize a non-empty text first")
    missing = sorted({token.language for token in tokens} - set(language_ids))
    if missing:
        raise UnknownLanguageError(
            f"language(s) {missing} have no language id (known: {dict(language_ids)}); "
            "add them to the voice's languages before using them"
        )
    if split_codepoints:
        tokens = [replace(token, symbol=character) for token in tokens for character in token.symbol]
    token_ids = symbols.encode([token.symbol for token in tokens])
    # One (id, language, prosody) triple per position; reserved ids take a neighbour's language and no prosody.
    body = [
        (symbol_id, language_ids[token.language], prosody_id(token.accent, token.length))
        for symbol_id, token in zip(token_ids, tokens)
    ]
    if layout != "vits":
        body = [(BOS_ID, body[0][1], 0), *body, (EOS_ID, body[-1][1], 0)]
    if add_blank:
        body = _with_blanks(body, layout)
    phoneme_column, language_column, prosody_column = (list(column) for column in zip(*body))
    return EncodedText(phoneme_column, language_column, prosody_column)


def _with_blanks(body: list[tuple[int, int, int]], layout: str) -> list[tuple[int, int, int]]:
    """Blank ids (0) between positions; a blank takes the language of the id before it."""
    if layout == "piper":
        # A blank after BOS and after every token, none after EOS.
        blanked = [body[0]]
        for position in body[1:-1]:
            blanked.extend(((PAD_ID, position[1], 0), position))
        return [*blanked, (PAD_ID, body[-1][1], 0), body[-1]]
    blanked = [(PAD_ID, body[0][1], 0)]
    for position in body:
        blanked.extend((position, (PAD_ID, position[1], 0)))
    return blanked
