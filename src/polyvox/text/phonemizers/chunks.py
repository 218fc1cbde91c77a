"""Splitting CJK text into readable chunks and the punctuation between them."""

from __future__ import annotations

from collections.abc import Iterator

from polyvox.text.punctuation import WORD_SEPARATOR, is_silent, punctuation_token


def iter_chunks(text: str) -> Iterator[tuple[str, list[str]]]:
    """Yield ``(chunk, punctuation_tokens_after_it)``; chunks hold no silent characters."""
    chunk = ""
    marks: list[str] = []
    for char in text:
        if is_silent(char):
            token = punctuation_token(char)
            if token is not None:
                marks.append(token)
            elif char.isspace() and chunk and not marks:
                marks.append(WORD_SEPARATOR)
            continue
        if marks and chunk:
            yield chunk, marks
            chunk, marks = "", []
        elif marks:
            yield "", marks
            marks = []
        chunk += char
    if chunk or marks:
        yield chunk, marks


def join_chunks(pieces: list[tuple[list[str], list[str]]]) -> list[str]:
    """Words of each chunk, its punctuation, and ``" "`` between chunks (as espeak lays them out)."""
    tokens: list[str] = []
    for phones, marks in pieces:
        if phones and tokens and tokens[-1] != WORD_SEPARATOR:
            tokens.append(WORD_SEPARATOR)
        tokens.extend(phones)
        tokens.extend(mark for mark in marks if mark != WORD_SEPARATOR)
        if WORD_SEPARATOR in marks and tokens and tokens[-1] != WORD_SEPARATOR:
            tokens.append(WORD_SEPARATOR)
    while tokens and tokens[-1] == WORD_SEPARATOR:
        tokens.pop()
    return tokens
