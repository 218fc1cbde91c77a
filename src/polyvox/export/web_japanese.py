"""``japanese.json``: pyopenjtalk's phones for each katakana mora, for the page's Japanese front end
(``polyvox/web/japanese.js``, kuromoji's words and pronunciations read as Open JTalk reads them).

Not written by ``polyvox export --web`` yet: on the sentences of ``tests/test_web_japanese.py`` the
kuromoji front end gives Python's ids for too few of them (docs/web.md), so the page lists ja as not
phonemizable. The table is asked of the installed pyopenjtalk, mora by mora, so that it is the table
Python speaks with.
"""

from __future__ import annotations

import importlib.metadata
from typing import Any

JAPANESE_FORMAT = "polyvox-web-japanese"
JAPANESE_VERSION = 1
JAPANESE_NAME = "japanese.json"
_KATAKANA = [chr(code) for code in range(0x30A1, 0x30F5)]  # ァ to ヴ
_SMALL = "ァィゥェォャュョヮ"
_MAX_MORA_PHONES = 2


def japanese_tables() -> dict[str, Any]:
    """Each katakana and each katakana + small kana that pyopenjtalk reads as one mora, with its phones."""
    from polyvox.text.phonemizers.japanese import _import_pyopenjtalk

    pyopenjtalk = _import_pyopenjtalk()

    def phones(kana: str) -> list[str]:
        return str(pyopenjtalk.g2p(kana)).split()

    morae = {kana: phones(kana) for kana in _KATAKANA}
    for kana in _KATAKANA:
        for small in _SMALL:
            if kana in _SMALL:
                continue
            read = phones(kana + small)
            # One mora (キャ: ky a) reads otherwise than its two kana apart (キ ャ: k i y a).
            if read != morae[kana] + morae[small] and len(read) <= _MAX_MORA_PHONES:
                morae[kana + small] = read
    return {
        "format": JAPANESE_FORMAT,
        "format_version": JAPANESE_VERSION,
        "pyopenjtalk_version": _pyopenjtalk_version(),
        "morae": {kana: read for kana, read in morae.items() if read},
    }


def _pyopenjtalk_version() -> str:
    for name in ("pyopenjtalk-plus", "pyopenjtalk"):
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return "unknown"
