"""An ordered, immutable symbol table: each voice owns one, and its ids never move."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence

from polyvox.text.errors import TextError, UnknownSymbolError

PAD = "_"
BOS = "^"
EOS = "$"
WORD_SEPARATOR = " "
RESERVED_SYMBOLS: tuple[str, ...] = (PAD, BOS, EOS, WORD_SEPARATOR)
PAD_ID, BOS_ID, EOS_ID, WORD_SEPARATOR_ID = range(len(RESERVED_SYMBOLS))
PUNCTUATION_SYMBOLS: tuple[str, ...] = (",", ".", "!", "?", ";", ":", "-", "…", '"', "'", "«", "»", "¿", "¡")

_MAX_REPORTED_UNKNOWN = 20


class SymbolTable:
    """Maps phoneme tokens to ids. Ids 0-3 are pad/blank ``_``, BOS ``^``, EOS ``$`` and the word
    separator ``" "``. Growing a table (:meth:`extend`) appends; it never renumbers."""

    __slots__ = ("_symbols", "_ids")

    def __init__(self, symbols: Sequence[str]) -> None:
        symbols = tuple(symbols)
        if symbols[: len(RESERVED_SYMBOLS)] != RESERVED_SYMBOLS:
            raise TextError(
                f"a symbol table must start with the reserved symbols {list(RESERVED_SYMBOLS)}, "
                f"got {list(symbols[: len(RESERVED_SYMBOLS)])}; build one with SymbolTable.base() or from_sequences()"
            )
        ids: dict[str, int] = {}
        for index, symbol in enumerate(symbols):
            if not isinstance(symbol, str) or not symbol:
                raise TextError(f"symbol at id {index} must be a non-empty string, got {symbol!r}")
            if symbol in ids:
                raise TextError(f"symbol {symbol!r} appears twice (ids {ids[symbol]} and {index}); symbols must be unique")
            ids[symbol] = index
        self._symbols = symbols
        self._ids = ids

    @classmethod
    def base(cls) -> SymbolTable:
        """The reserved symbols followed by common punctuation."""
        return cls(RESERVED_SYMBOLS + PUNCTUATION_SYMBOLS)

    @classmethod
    def from_sequences(cls, token_sequences: Iterable[Iterable[str]]) -> SymbolTable:
        """The base table plus every new token of ``token_sequences`` in first-seen order."""
        return cls.base().extend(token for sequence in token_sequences for token in sequence)

    def extend(self, new_symbols: Iterable[str]) -> SymbolTable:
        """A new table with every existing id kept and unseen symbols appended in order."""
        symbols = list(self._symbols)
        seen = set(symbols)
        for symbol in new_symbols:
            if symbol not in seen:
                seen.add(symbol)
                symbols.append(symbol)
        return SymbolTable(symbols)

    def encode(self, tokens: Iterable[str]) -> list[int]:
        """Ids of ``tokens``; raises :class:`UnknownSymbolError` naming every unknown token and its position."""
        ids: list[int] = []
        unknown: list[tuple[int, str]] = []
        for position, token in enumerate(tokens):
            symbol_id = self._ids.get(token)
            if symbol_id is None:
                unknown.append((position, token))
            else:
                ids.append(symbol_id)
        if unknown:
            raise unknown_symbols_error(unknown)
        return ids

    def spell(self, token: str) -> list[str] | None:
        """``token`` as the fewest known symbols that make it up character for character (``ˈʊɐ`` ->
        ``ˈʊ``, ``ɐ``), or None when some part of it is in no symbol. A known token is itself."""
        # fewest[i]: the shortest split of token[:i] into known symbols (None: none exists).
        fewest: list[list[str] | None] = [[]] + [None] * len(token)
        for end in range(1, len(token) + 1):
            for start in range(end):
                head, piece = fewest[start], token[start:end]
                if head is not None and piece in self._ids:
                    candidate = [*head, piece]
                    best = fewest[end]
                    if best is None or len(candidate) < len(best):
                        fewest[end] = candidate
        return fewest[-1]

    def decode(self, ids: Iterable[int]) -> list[str]:
        symbols: list[str] = []
        for symbol_id in ids:
            if not 0 <= symbol_id < len(self._symbols):
                raise TextError(f"id {symbol_id} is outside this symbol table (ids 0..{len(self._symbols) - 1})")
            symbols.append(self._symbols[symbol_id])
        return symbols

    def id_of(self, symbol: str) -> int:
        return self.encode([symbol])[0]

    def to_list(self) -> list[str]:
        return list(self._symbols)

    def fingerprint(self) -> str:
        """sha256 of the ordered symbol list: equal fingerprints mean identical ids."""
        payload = json.dumps(self._symbols, ensure_ascii=False).encode("utf-8")
        return hashlib.sha256(payload).hexdigest()

    def __len__(self) -> int:
        return len(self._symbols)

    def __contains__(self, symbol: object) -> bool:
        return symbol in self._ids

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, SymbolTable):
            return NotImplemented
        return self._symbols == other._symbols

    def __hash__(self) -> int:
        return hash(self._symbols)

    def __repr__(self) -> str:
        return f"SymbolTable({len(self)} symbols, fingerprint {self.fingerprint()[:12]})"


def unknown_symbols_error(unknown: Sequence[tuple[int, str]]) -> UnknownSymbolError:
    """An error listing unknown ``(position, token)`` pairs and how to fix them."""
    shown = ", ".join(f"{token!r} at position {position}" for position, token in unknown[:_MAX_REPORTED_UNKNOWN])
    more = f" and {len(unknown) - _MAX_REPORTED_UNKNOWN} more" if len(unknown) > _MAX_REPORTED_UNKNOWN else ""
    distinct = sorted({token for _, token in unknown})
    return UnknownSymbolError(
        f"{len(unknown)} token(s) not in the symbol table: {shown}{more}. Check that the text is in a language this "
        "voice was trained on, or teach it these sounds with recordings that contain them: `polyvox finetune --from VOICE "
        f"--data clips.jsonl -o new_voice.safetensors` (in Python: symbols.extend({distinct!r}) keeps every id)."
    )
