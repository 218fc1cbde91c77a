from __future__ import annotations

import pytest

from polyvox.text import SymbolTable, TextError, UnknownSymbolError


def test_reserved_ids() -> None:
    table = SymbolTable.base()
    assert table.to_list()[:4] == ["_", "^", "$", " "]
    for mark in [",", ".", "!", "?", ";", ":", "-", "…", '"']:
        assert mark in table


def test_from_sequences_keeps_first_seen_order() -> None:
    table = SymbolTable.from_sequences([["b", "a"], ["a", "c"]])
    base = len(SymbolTable.base())
    assert table.encode(["b", "a", "c"]) == [base, base + 1, base + 2]


def test_extend_keeps_every_existing_id() -> None:
    table = SymbolTable.from_sequences([["z", "a", "m"]])
    grown = table.extend(["b", "a", "ʃ"])
    assert grown.to_list()[: len(table)] == table.to_list()
    assert grown.to_list()[len(table) :] == ["b", "ʃ"]
    assert grown.encode(["z", "a", "m"]) == table.encode(["z", "a", "m"])
    assert table.extend([]) == table
    assert grown != table and grown.fingerprint() != table.fingerprint()


def test_encode_decode_round_trip_and_fingerprint_stability() -> None:
    table = SymbolTable.from_sequences([["h", "ə", "l", "ˈoʊ"]])
    ids = table.encode(["h", "ˈoʊ", " ", "l"])
    assert table.decode(ids) == ["h", "ˈoʊ", " ", "l"]
    assert SymbolTable(table.to_list()) == table
    assert SymbolTable(table.to_list()).fingerprint() == table.fingerprint()
    assert len(table.fingerprint()) == 64


def test_unknown_symbols_are_all_named_with_positions() -> None:
    table = SymbolTable.base()
    with pytest.raises(UnknownSymbolError) as caught:
        table.encode([",", "x", ".", "ʒ"])
    message = str(caught.value)
    assert "'x' at position 1" in message and "'ʒ' at position 3" in message
    assert "extend" in message
    assert isinstance(caught.value, TextError) and isinstance(caught.value, ValueError)


def test_invalid_tables_are_refused() -> None:
    with pytest.raises(TextError, match="reserved"):
        SymbolTable(["a", "b"])
    with pytest.raises(TextError, match="twice"):
        SymbolTable(["_", "^", "$", " ", "a", "a"])
    with pytest.raises(TextError, match="outside"):
        SymbolTable.base().decode([999])


def test_spell_splits_an_unseen_token_into_the_fewest_known_symbols() -> None:
    table = SymbolTable.from_sequences([["ˈʊ", "ʊ", "ɐ", "ˈ", "ɑː", "ɹ"]])
    assert table.spell("ʊ") == ["ʊ"]
    assert table.spell("ˈʊɐ") == ["ˈʊ", "ɐ"]  # not ˈ + ʊ + ɐ
    assert table.spell("ɑːɹ") == ["ɑː", "ɹ"]
    assert table.spell("ʊx") is None  # x is in no symbol: the unknown-symbol error stays
