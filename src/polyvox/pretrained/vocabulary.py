"""A source's symbol -> embedding row map as a polyvox symbol table, and its rows moved to the new ids."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import torch
from torch import Tensor

from polyvox.pretrained.errors import PretrainedImportError
from polyvox.text.symbols import RESERVED_SYMBOLS, SymbolTable


@dataclass(frozen=True)
class Vocabulary:
    """``source_rows[i]``: the source embedding row of polyvox id ``i`` (None: the source has no such symbol)."""

    symbols: SymbolTable
    source_rows: tuple[int | None, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)


def vocabulary_from_rows(symbol_rows: Mapping[str, int], n_rows: int, source: str) -> Vocabulary:
    """Polyvox table: the reserved symbols (``_ ^ $`` and space, on the source's rows when it has them), then the
    source's other symbols in the order of their rows."""
    bad = {symbol: row for symbol, row in symbol_rows.items() if not 0 <= row < n_rows}
    if bad:
        raise PretrainedImportError(
            f"{source}: symbol ids {bad} are outside the checkpoint's embedding ({n_rows} rows); "
            "the symbol list does not belong to this checkpoint"
        )
    ordered = sorted((row, symbol) for symbol, row in symbol_rows.items() if symbol not in RESERVED_SYMBOLS)
    symbols = [*RESERVED_SYMBOLS, *(symbol for _, symbol in ordered)]
    rows = tuple(symbol_rows.get(symbol) for symbol in symbols)
    notes = []
    absent = [symbol for symbol in RESERVED_SYMBOLS if symbol not in symbol_rows]
    if absent:
        notes.append(f"symbols {absent} are not in the source's vocabulary: their rows are initialised, not imported")
    unused = sorted(set(range(n_rows)) - set(symbol_rows.values()))
    if unused:
        notes.append(f"{len(unused)} embedding rows have no symbol and are not imported (source ids {_ranges(unused)})")
    return Vocabulary(SymbolTable(symbols), rows, tuple(notes))


def vocabulary_from_list(source_symbols: Sequence[str], n_rows: int, source: str) -> Vocabulary:
    """VITS numbering: symbol ``i`` of the list is row ``i`` (a repeated symbol keeps its last row, as in VITS)."""
    if len(source_symbols) != n_rows:
        raise PretrainedImportError(
            f"{source}: the symbol list has {len(source_symbols)} symbols but the checkpoint's embedding has {n_rows} rows; "
            "pass the symbol list the checkpoint was trained with"
        )
    return vocabulary_from_rows({symbol: row for row, symbol in enumerate(source_symbols)}, n_rows, source)


def gather_rows(table: Tensor, rows: Sequence[int | None], initial: Tensor) -> Tensor:
    """Row ``i`` of the result is ``table[rows[i]]``, or ``initial[i]`` where ``rows[i]`` is None."""
    result = initial.detach().clone()
    for index, row in enumerate(rows):
        if row is not None:
            result[index] = table[row]
    return result


def _ranges(values: Sequence[int]) -> str:
    """[1, 2, 3, 7] -> '1-3, 7'."""
    parts: list[str] = []
    start = previous = values[0]
    for value in [*values[1:], None]:
        if value is not None and value == previous + 1:
            previous = value
            continue
        parts.append(str(start) if start == previous else f"{start}-{previous}")
        if value is not None:
            start = previous = value
    return ", ".join(parts)


def initial_rows(n_rows: int, channels: int, seed: int) -> Tensor:
    """Rows for symbols the source lacks, drawn as polyvox initialises a symbol embedding (std channels ** -0.5)."""
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(n_rows, channels, generator=generator) * channels**-0.5
