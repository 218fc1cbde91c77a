"""``mandarin.json``: pypinyin's dictionaries as the page's Mandarin front end (``polyvox/web/mandarin.js``) reads them.

Python's Mandarin phonemizer (``polyvox.text.phonemizers.mandarin``) reads a chunk of Han characters with
pypinyin: its words are cut by longest match against pypinyin's phrase dictionary, each word read from that
dictionary (else each character's first reading), tone changes applied within the word, and each syllable
split into an initial and a toned final. The page does the same with the installed pypinyin's own data,
written here at export time so that the two read alike (pypinyin is MIT-licensed; its licence text travels
in the file):

- ``chars``: each character's first reading, as characters grouped by syllable (``"ni3": "你拟..."``);
- ``phrases``: the words whose reading is their characters' readings, space-separated;
- ``readings``: the other words and their syllables (``"长城": "chang2 cheng2"``);
- ``syllables``: each toneless syllable's initial and final as pypinyin splits them strictly (``"ni": ["n", "i"]``).

Syllables are TONE3 with 5 for the neutral tone (``lazy_pinyin(..., Style.TONE3, neutral_tone_with_five=True)``).
The file records the pypinyin it was written from (``pypinyin_version``): ``mandarin_version_mismatch`` says
in one line when a page's data is not the installed pypinyin's (what the Python side compares against).
"""

from __future__ import annotations

import importlib.metadata
import json
import re
from pathlib import Path
from typing import Any

from polyvox.errors import PolyvoxError

MANDARIN_FORMAT = "polyvox-web-mandarin"
MANDARIN_VERSION = 1
MANDARIN_NAME = "mandarin.json"
_TONE3 = re.compile(r"^([a-z]+)([1-5])$")


class MandarinDataError(PolyvoxError, ValueError):
    """pypinyin's data has a reading the page could not reproduce (a newer pypinyin changed its format)."""


def _tone3(reading: str) -> str:
    from pypinyin.contrib.tone_convert import to_tone3

    syllable = to_tone3(reading, neutral_tone_with_five=True)
    if not _TONE3.match(syllable):
        raise MandarinDataError(f"pypinyin's reading {reading!r} is not a toned syllable ({syllable!r})")
    return syllable


def _license() -> str:
    files = importlib.metadata.files("pypinyin") or []
    for file in files:
        if file.name.upper().startswith("LICENSE"):
            return file.read_text(encoding="utf-8")
    return "pypinyin (https://github.com/mozillazg/python-pinyin), MIT License, Copyright (c) 2016 mozillazg, 闲耘"


def mandarin_tables() -> dict[str, Any]:
    """The document the page's Mandarin front end reads (about 0.8 MB of JSON for pypinyin 0.55)."""
    from pypinyin.constants import PHRASES_DICT, PINYIN_DICT
    from pypinyin.contrib.tone_convert import to_finals_tone3, to_initials

    readings = {chr(code): _tone3(listed.split(",")[0]) for code, listed in PINYIN_DICT.items()}
    by_syllable: dict[str, list[str]] = {}
    for char, syllable in readings.items():
        by_syllable.setdefault(syllable, []).append(char)
    plain: list[str] = []
    own: dict[str, str] = {}
    for word, listed in PHRASES_DICT.items():
        syllables = [_tone3(choices[0]) for choices in listed]
        if len(syllables) != len(word):
            raise MandarinDataError(f"pypinyin reads the phrase {word!r} with {len(syllables)} syllables")
        if syllables == [readings.get(char) for char in word]:
            plain.append(word)
        else:
            own[word] = " ".join(syllables)
    every_syllable = [*by_syllable, *(syllable for text in own.values() for syllable in text.split())]
    bases = {syllable[:-1] for syllable in every_syllable}
    splits: dict[str, list[str]] = {}
    for base in sorted(bases):
        # The split is the same for every tone (checked in tests/test_web_mandarin.py); the final carries the tone.
        final = to_finals_tone3(base + "1", strict=True, neutral_tone_with_five=True)
        splits[base] = [to_initials(base + "1", strict=True), final[:-1]]
    return {
        "format": MANDARIN_FORMAT,
        "format_version": MANDARIN_VERSION,
        "pypinyin_version": importlib.metadata.version("pypinyin"),
        "license": _license(),
        "chars": {syllable: "".join(chars) for syllable, chars in sorted(by_syllable.items())},
        "phrases": " ".join(plain),
        "readings": own,
        "syllables": splits,
    }


def mandarin_version_mismatch(folder: str | Path) -> str | None:
    """One line when the page in ``folder`` reads Mandarin with another pypinyin's data than the installed
    one (its Mandarin ids may then differ from Python's); None when they agree or the page has no Mandarin.
    Raises ``MandarinDataError`` when its ``mandarin.json`` is not the file the export writes."""
    path = Path(folder) / MANDARIN_NAME
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise MandarinDataError(f"{path} is not readable as the page's Mandarin data ({error}); export the page again") from error
    if not isinstance(data, dict) or data.get("format") != MANDARIN_FORMAT or "pypinyin_version" not in data:
        raise MandarinDataError(f"{path} is not the Mandarin data `polyvox export --web` writes; export the page again")
    installed = None if mandarin_missing() else importlib.metadata.version("pypinyin")
    if data["pypinyin_version"] == installed:
        return None
    have = f"pypinyin {installed} is installed" if installed else "pypinyin is not installed"
    return (
        f"{path} holds pypinyin {data['pypinyin_version']}'s readings but {have}: the page's Mandarin ids may "
        "differ from Python's; export the page again"
    )


def mandarin_missing() -> str | None:
    """Why the page cannot read Mandarin (pypinyin not installed), or None."""
    try:
        importlib.metadata.version("pypinyin")
    except importlib.metadata.PackageNotFoundError:
        return "pypinyin is not installed where the page was exported"
    return None
