"""Input written in a voice's own phonemes (``polyvox say --phonemes``), read without the text front end.

The format is what ``polyvox say TEXT --print-phonemes`` writes for that voice: symbols separated by spaces,
``|`` between words, punctuation as its own symbol (``h ə l ˈoʊ | w ˈɜː l d .``). In the ``features``
scheme a symbol may carry its stress, tone or length as the phonemizers write it (``ˈiː``, ``ian3``) or
after a slash (``i/ˈː``, ``ian/3``, ``a/H`` for a Japanese high mora); both give the same ids as text does.
A symbol the voice lacks is an error naming it and the nearest symbols it has: no stand-in is guessed,
since whoever writes phonemes asked for exactly these.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence

from polyvox.text.base_phoneme import base_phoneme
from polyvox.text.errors import EmptyTextError, TextError, UnknownSymbolError
from polyvox.text.ids import EncodedText
from polyvox.text.prosody import ACCENTS, LENGTHS
from polyvox.text.rules import TextRules
from polyvox.text.symbols import PUNCTUATION_SYMBOLS, RESERVED_SYMBOLS, WORD_SEPARATOR
from polyvox.text.token import Token

WORD_MARK = "|"
FEATURE_MARK = "/"
_NEAREST = 3
# One request is one encoder pass over every symbol (attention over all of them): 2,000 symbols, about 110 s
# of speech, took 32 s and 0.9 GiB on one thread; ten times that would not fit in memory. A score has as many notes.
MAX_PHONEMES = 2000


def _features(symbol: str, suffix: str, position: int) -> tuple[str, str]:
    """(accent, length) written after ``/``."""
    accent = "".join(mark for mark in suffix if mark in ACCENTS)
    length = "".join(mark for mark in suffix if mark in LENGTHS)
    if len(accent) > 1 or len(length) > 1 or len(accent) + len(length) != len(suffix):
        raise UnknownSymbolError(
            f"phoneme {position} {symbol}/{suffix}: after '/' write one accent of {[a for a in ACCENTS if a]} "
            f"and/or one length of {[n for n in LENGTHS if n]}, e.g. i/ˈː"
        )
    return accent, length


def nearest_symbols(symbol: str, known: Sequence[str], count: int = _NEAREST) -> list[str]:
    """The ``count`` symbols of ``known`` nearest ``symbol``: the same bare phoneme first, then by spelling."""
    bare = base_phoneme(symbol)

    def closeness(candidate: str) -> tuple[bool, float]:
        return base_phoneme(candidate) == bare, difflib.SequenceMatcher(None, symbol, candidate).ratio()

    return sorted(known, key=closeness, reverse=True)[:count]


def read_phonemes(phonemes: str, rules: TextRules, language: str) -> list[Token]:
    """Tokens of a ``--phonemes`` string in ``rules``' scheme; ``UnknownSymbolError`` (one line) for a symbol the voice lacks."""
    written = phonemes.split()
    if not written:
        raise EmptyTextError("the phonemes are empty: write the voice's symbols separated by spaces (polyvox say TEXT --print-phonemes shows them)")
    if len(written) > MAX_PHONEMES:
        raise TextError(f"the phonemes are {len(written)} symbols; at most {MAX_PHONEMES} at a time: split them")
    if all(item == WORD_MARK or item in PUNCTUATION_SYMBOLS for item in written):
        raise EmptyTextError("the phonemes have no sound to say, only '|' and punctuation: add the voice's phonemes (polyvox say --list-phonemes)")
    tokens = []
    for position, item in enumerate(written, start=1):
        symbol, _, suffix = item.partition(FEATURE_MARK) if len(item) > 1 else (item, "", "")
        if symbol == WORD_MARK:
            tokens.append(Token(WORD_SEPARATOR, language))
            continue
        if symbol in RESERVED_SYMBOLS:
            raise UnknownSymbolError(f"phoneme {position} {symbol!r} is reserved (polyvox adds it); leave it out, write | between words")
        tokens.append(Token(symbol, language, *_features(symbol, suffix, position)))
    resolved = rules.in_scheme(tokens)
    for position, token in enumerate(resolved, start=1):
        _check_known(token.symbol, position, rules)
    return resolved


def _check_known(symbol: str, position: int, rules: TextRules) -> None:
    codepoints = rules.config.text.token_unit == "codepoint"
    missing = [char for char in symbol if char not in rules.symbols] if codepoints else [symbol] * (symbol not in rules.symbols)
    if not missing:
        return
    # A sound is near sounds, punctuation near punctuation.
    sound = any(char.isalpha() for char in missing[0])
    known = [name for name in rules.symbols.to_list() if name not in RESERVED_SYMBOLS and (name not in PUNCTUATION_SYMBOLS) == sound]
    nearest = ", ".join(repr(name) for name in nearest_symbols(missing[0], known))
    raise UnknownSymbolError(
        f"phoneme {position} {missing[0]!r} is not a symbol of this voice; nearest: {nearest} "
        f"(polyvox say --list-phonemes lists them all)"
    )


def encode_phonemes(phonemes: str, rules: TextRules, language: str) -> EncodedText:
    """Ids of a ``--phonemes`` string, as the text that phonemizes to it would give."""
    return rules.encode_tokens(read_phonemes(phonemes, rules, language))


def write_phonemes(tokens: Sequence[Token], rules: TextRules) -> str:
    """Tokens of this voice's scheme as a ``--phonemes`` string (``read_phonemes`` gives them back)."""
    written = []
    for token in tokens:
        if token.symbol == WORD_SEPARATOR:
            written.append(WORD_MARK)
        elif rules.scheme == "features" and (token.accent or token.length):
            written.append(f"{token.symbol}{FEATURE_MARK}{token.accent}{token.length}")
        else:
            written.append(token.symbol)
    return " ".join(written)


def text_as_phonemes(text: str, rules: TextRules, language: str) -> str:
    """What the front end reads ``text`` as, in this voice's symbols (stand-ins for unseen sounds resolved)."""
    return " ".join(
        write_phonemes(rules.resolve_unseen(rules.tokens(sentence, language)), rules) for sentence in rules.sentences(text, language)
    )
