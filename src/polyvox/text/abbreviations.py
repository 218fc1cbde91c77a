"""Per-language abbreviations and symbols that are read as words."""

from __future__ import annotations

import re
from collections.abc import Mapping

# Abbreviation (as written, including its dot) -> spoken form. Matched case-sensitively, as whole words.
ABBREVIATIONS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "Mr.": "mister", "Mrs.": "missus", "Ms.": "miss", "Dr.": "doctor", "St.": "saint",
        "Prof.": "professor", "Jr.": "junior", "Sr.": "senior", "Mt.": "mount", "vs.": "versus",
        "etc.": "et cetera", "e.g.": "for example", "i.e.": "that is", "approx.": "approximately",
    },
    "de": {
        "z.B.": "zum Beispiel", "z. B.": "zum Beispiel", "Nr.": "Nummer", "usw.": "und so weiter",
        "d.h.": "das heißt", "d. h.": "das heißt", "bzw.": "beziehungsweise", "ca.": "circa",
        "Dr.": "Doktor", "Prof.": "Professor", "Hr.": "Herr", "Fr.": "Frau", "evtl.": "eventuell",
    },
    "fr": {
        "M.": "monsieur", "MM.": "messieurs", "Mme": "madame", "Mmes": "mesdames", "Mlle": "mademoiselle",
        "Dr": "docteur", "Pr": "professeur", "etc.": "et cetera", "n°": "numéro", "av.": "avenue",
    },
    "es": {
        "Sr.": "señor", "Sra.": "señora", "Srta.": "señorita", "Dr.": "doctor", "Dra.": "doctora",
        "Ud.": "usted", "Uds.": "ustedes", "etc.": "etcétera", "p. ej.": "por ejemplo", "núm.": "número",
    },
    "ru": {
        "т.е.": "то есть", "т. е.": "то есть", "т.д.": "так далее", "т. д.": "так далее",
        "т.п.": "тому подобное", "т. п.": "тому подобное", "др.": "другие", "г-н": "господин",
    },
}

# Symbol -> spoken form (with spaces around it in the output). A currency sign with an amount is read by
# polyvox.text.currency (one dollar, un million d'euros); these name the signs left.
SYMBOLS: Mapping[str, Mapping[str, str]] = {
    "en": {"%": "percent", "&": "and", "+": "plus", "=": "equals", "@": "at", "$": "dollars", "€": "euros", "£": "pounds"},
    "es": {"%": "por ciento", "&": "y", "+": "más", "=": "igual a", "@": "arroba", "$": "dólares", "€": "euros"},
    "fr": {"%": "pour cent", "&": "et", "+": "plus", "=": "égale", "@": "arobase", "$": "dollars", "€": "euros"},
    "de": {"%": "Prozent", "&": "und", "+": "plus", "=": "gleich", "@": "at", "$": "Dollar", "€": "Euro"},
    "ru": {"%": "процентов", "&": "и", "+": "плюс", "=": "равно", "$": "долларов", "€": "евро"},
    "ar": {"%": "بالمئة", "&": "و", "+": "زائد", "=": "يساوي", "$": "دولار", "€": "يورو"},
    "ja": {"%": "パーセント", "％": "パーセント", "&": "アンド", "+": "プラス", "=": "イコール", "$": "ドル", "€": "ユーロ", "円": "円", "¥": "円", "￥": "円"},
    "zh": {"&": "和", "+": "加", "=": "等于", "$": "美元", "€": "欧元", "￥": "元", "¥": "元"},
}


def expand_abbreviations(text: str, language: str) -> str:
    """Replace the language's abbreviations by their spoken form."""
    table = ABBREVIATIONS.get(language, {})
    for written in sorted(table, key=len, reverse=True):
        pattern = r"(?<![\w.])" + re.escape(written) + (r"(?!\w)" if written[-1] in ".°-" else r"\b")
        text = re.sub(pattern, table[written], text)
    return text


def expand_symbols(text: str, language: str) -> str:
    """Spell symbols as words (after :func:`polyvox.text.currency.read_money`, which reads amounts of money)."""
    table = SYMBOLS.get(language, {})
    for symbol, spoken in table.items():
        text = text.replace(symbol, f" {spoken} ")
    return text
