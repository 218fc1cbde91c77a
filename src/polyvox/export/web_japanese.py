"""``japanese.json``: what the page's Japanese front end (``polyvox/web/japanese.js``) reads from the
installed pyopenjtalk, asked of it so that the page speaks with the tables Python speaks with:

- ``morae``: each katakana mora's phones (``pyopenjtalk.g2p`` of the mora alone);
- ``devoicing``: for each mora whose vowel Open JTalk may devoice, the kana that devoice it when the next mora
  starts with them (its ``set_unvoiced_vowel`` on a flat noun ``ア + mora + kana + ア``, so that no rule but
  the one on the neighbouring consonants applies). pyopenjtalk-plus's table is not Open JTalk 1.11's
  (チ stays voiced before ス), so it is asked rather than written down.

The words themselves come from pyopenjtalk's dictionary, converted by ``web_japanese_dictionary``.
"""

from __future__ import annotations

from typing import Any

from polyvox.export.web_japanese_dictionary import pyopenjtalk_version

JAPANESE_FORMAT = "polyvox-web-japanese"
JAPANESE_VERSION = 1
JAPANESE_NAME = "japanese.json"
_KATAKANA = [chr(code) for code in range(0x30A1, 0x30F5)]  # ァ to ヴ
_SMALL = "ァィゥェォャュョヮ"
_MAX_MORA_PHONES = 2
_VOWEL = "ア"
_UNVOICE = "’"


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
    morae = {kana: read for kana, read in morae.items() if read}
    return {
        "format": JAPANESE_FORMAT,
        "format_version": JAPANESE_VERSION,
        "pyopenjtalk_version": pyopenjtalk_version(),
        "morae": morae,
        "devoicing": _devoicing(pyopenjtalk, morae),
    }


def _devoicing(pyopenjtalk: Any, morae: dict[str, list[str]]) -> dict[str, str]:
    """{mora: the kana before which pyopenjtalk devoices its vowel}, for the morae it devoices at all."""
    template = dict(pyopenjtalk.run_frontend(_VOWEL, use_vanilla=True)[0])
    candidates = [kana for kana, phones in morae.items() if phones[-1] in ("i", "u")]
    following = [kana for kana in _KATAKANA if kana in morae and kana not in _SMALL]

    def word(pron: str, first: bool) -> dict[str, Any]:
        return {**template, "string": pron, "orig": pron, "read": pron, "pron": pron, "pos": "名詞", "acc": 0,
                "mora_size": 2, "chain_flag": -1 if first else 1}

    table: dict[str, str] = {}
    with pyopenjtalk._global_jtalk() as jtalk:
        for kana in candidates:
            devoiced = "".join(
                after for after in following
                if jtalk.set_unvoiced_vowel([word(_VOWEL + kana, True), word(after + _VOWEL, False)])[0]["pron"].endswith(_UNVOICE)
            )
            if devoiced:
                table[kana] = devoiced
    return table

