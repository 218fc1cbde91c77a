"""Explicit language tags: ``<en>hello world</en>`` switches language for the tagged span."""

from __future__ import annotations

import re
from dataclasses import dataclass

from polyvox.text.errors import TextError

TAG = re.compile(r"<(/?)([a-z]{2,3}(?:-[a-z0-9]+)*)>")


@dataclass(frozen=True)
class Span:
    text: str
    language: str


def split_language_tags(text: str, language: str) -> list[Span]:
    """Split ``text`` into spans with their language; untagged text is in ``language``.
    Tags may not nest; an unclosed or unmatched tag is an error that says where it is."""
    spans: list[Span] = []
    open_language: str | None = None
    open_at = 0
    position = 0
    for match in TAG.finditer(text):
        closing, code = bool(match.group(1)), match.group(2)
        if closing != (open_language is not None) or (closing and code != open_language):
            expected = f"</{open_language}>" if open_language else "an opening tag such as <en>"
            raise TextError(
                f"language tag {match.group(0)!r} at character {match.start()} does not match "
                f"(expected {expected}); tags look like <en>hello</en> and may not nest"
            )
        spans.append(Span(text[position : match.start()], open_language or language))
        open_language = None if closing else code
        open_at = match.start()
        position = match.end()
    if open_language is not None:
        raise TextError(f"language tag <{open_language}> at character {open_at} is never closed; add </{open_language}>")
    spans.append(Span(text[position:], language))
    return [span for span in spans if span.text.strip()]

