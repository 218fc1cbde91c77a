"""Tokens to model inputs: phoneme ids with BOS/EOS and optional blanks, and per-id language ids."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from polyvox.text.errors import EmptyTextError, UnknownLanguageError
from polyvox.text.symbols import BOS_ID, EOS_ID, PAD_ID, SymbolTable
from polyvox.text.token import Token


def to_ids(
    tokens: Sequence[Token],
    symbols: SymbolTable,
    add_blank: bool,
    language_ids: Mapping[str, int],
    layout: str = "polyvox",
    split_codepoints: bool = False,
) -> tuple[list[int], list[int]]:
    """``(phoneme_ids, language_ids)`` of equal length: ``^ tokens $``, with the blank id 0 between
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
        tokens = [Token(character, token.language) for token in tokens for character in token.symbol]
    token_ids = symbols.encode([token.symbol for token in tokens])
    token_languages = [language_ids[token.language] for token in tokens]
    if layout == "vits":
        phoneme_ids, languages = list(token_ids), list(token_languages)
    else:
        phoneme_ids = [BOS_ID, *token_ids, EOS_ID]
        languages = [token_languages[0], *token_languages, token_languages[-1]]
    if not add_blank:
        return phoneme_ids, languages
    if layout == "piper":
        # A blank after BOS and after every token, none after EOS.
        blanked_ids, blanked_languages = [BOS_ID], [languages[0]]
        for symbol_id, language_id in zip(phoneme_ids[1:-1], languages[1:-1]):
            blanked_ids.extend((PAD_ID, symbol_id))
            blanked_languages.extend((language_id, language_id))
        return [*blanked_ids, PAD_ID, EOS_ID], [*blanked_languages, languages[-1], languages[-1]]
    blanked_ids = [PAD_ID]
    blanked_languages = [languages[0]]
    for symbol_id, language_id in zip(phoneme_ids, languages):
        blanked_ids.extend((symbol_id, PAD_ID))
        blanked_languages.extend((language_id, language_id))
    return blanked_ids, blanked_languages
