"""MeloTTS's languages and tones, and its symbol and tone tables as polyvox's ``features`` input scheme."""

from __future__ import annotations

import re
from dataclasses import dataclass

import torch
from torch import Tensor

from polyvox.pretrained.errors import PretrainedImportError
from polyvox.pretrained.vocabulary import initial_rows
from polyvox.text.prosody import ACCENTS, prosody_id
from polyvox.text.symbols import PAD, RESERVED_SYMBOLS, SymbolTable

SYMBOLS = "enc_p.emb.weight"
TONES = "enc_p.tone_emb.weight"
LANGUAGES = "enc_p.language_emb.weight"
NEW_ROW_SEED = 0


@dataclass(frozen=True)
class MeloLanguage:
    code: str  # polyvox's language code
    language_id: int  # row of MeloTTS's language embedding
    first_tone: int  # MeloTTS numbers tones across languages: this language's tone 0
    n_tones: int


# MeloTTS's language ids and tone ranges (its text/symbols.py), by the names its speakers and configs use.
MELOTTS_LANGUAGES = {
    "ZH": MeloLanguage("zh", 0, 0, 6),
    "JP": MeloLanguage("ja", 1, 6, 1),
    "EN": MeloLanguage("en", 2, 7, 4),
    "KR": MeloLanguage("ko", 4, 11, 1),
    "ES": MeloLanguage("es", 5, 12, 1),
    "FR": MeloLanguage("fr", 6, 13, 1),
}
_ALIASES = {"SP": "ES", "JA": "JP", "KO": "KR"}


# MeloTTS's tones as polyvox accents (``polyvox.text.prosody.ACCENTS``), by language and local tone (its tone id
# minus the language's first tone). Chinese: pypinyin's tones 1-5 (0 for punctuation and blanks). English: the
# CMU dictionary's stress + 1 on vowels (1 unstressed, 2 primary, 3 secondary), 0 on consonants. Japanese, Korean,
# Spanish and French have one tone.
MELO_ACCENTS: dict[str, dict[int, str]] = {
    "ZH": {0: "", 1: "1", 2: "2", 3: "3", 4: "4", 5: "5"},
    "EN": {0: "", 1: "", 2: "ˈ", 3: "ˌ"},
}
# The vowels of MeloTTS's English symbols (lower-case ARPAbet): unmarked, they carry local tone 1, not 0.
ENGLISH_VOWELS = frozenset("aa ae ah ao aw ay eh er ey ih iy ow oy uh uw".split())


@dataclass(frozen=True)
class FeaturesTables:
    """MeloTTS's symbol and tone tables as the ``features`` scheme's phoneme, accent and language rows."""

    symbols: SymbolTable
    phoneme_rows: Tensor  # (len(symbols), hidden): symbol row + the tone the phoneme carries unmarked
    accent_rows: Tensor  # (len(ACCENTS), hidden): tone row - the unmarked tone row it replaces
    language_offsets: Tensor  # (len(languages), hidden): added to each language's row
    notes: tuple[str, ...]


def melo_accent(melo_language: str, local_tone: int) -> str:
    """The polyvox accent of MeloTTS's tone ``local_tone`` in ``melo_language`` ("ZH", "EN", ...)."""
    accents = MELO_ACCENTS.get(melo_language, {0: ""})
    if local_tone not in accents:
        raise PretrainedImportError(f"MeloTTS's {melo_language} has no tone {local_tone}; its tones are {sorted(accents)}")
    return accents[local_tone]


# ARPAbet vowels that are also MeloTTS's Mandarin finals: in a voice with both, they keep the Mandarin rows.
SHARED_WITH_MANDARIN = frozenset({"ao", "er"})


def _english_vowel_delta(symbol: str, languages: list[str]) -> bool:
    """Whether the symbol's row takes English's unmarked vowel tone (1) instead of its language's first tone."""
    if "EN" not in languages or symbol not in ENGLISH_VOWELS:
        return False
    return not ("ZH" in languages and symbol in SHARED_WITH_MANDARIN)


def voice_languages(speaker_names: list[str], language: str | None, source: str) -> list[str]:
    """MeloTTS language names of the voice: ``language`` (a polyvox code) or the prefixes of its speakers ("EN-US")."""
    if language is not None:
        for name, entry in MELOTTS_LANGUAGES.items():
            if entry.code == language:
                return [name]
        known = ", ".join(entry.code for entry in MELOTTS_LANGUAGES.values())
        raise PretrainedImportError(f"MeloTTS has no language {language!r}; its languages are {known}")
    found: list[str] = []
    for speaker in speaker_names:
        head = re.split(r"[-_]", speaker)[0].upper()
        head = _ALIASES.get(head, head)
        if head in MELOTTS_LANGUAGES and head not in found:
            found.append(head)
    if not found:
        raise PretrainedImportError(
            f"{source}: cannot tell the voice's language from its speakers {speaker_names}; pass language=... (--language)"
        )
    return found


def features_tables(symbols: list[str], languages: list[str], generator: dict[str, Tensor]) -> FeaturesTables:
    """MeloTTS adds a symbol row, a tone row and a language row; polyvox adds a phoneme row, an accent row and a
    language row. With L0 the voice's first language:

    phoneme row = symbol row + tone(L0's first) (+ English tone 1 - tone 0 for an English vowel); accent row =
    tone(t) - tone(unmarked) (zero for ""); language row of L = MeloTTS's + tone(L's first) - tone(L0's first), so
    every (phoneme, tone, language) MeloTTS's front end makes sums to MeloTTS's three rows. Symbols shared by
    languages whose unmarked tones differ are noted.

    The polyvox blank ``_`` is MeloTTS's blank: phoneme ``_``, tone 0 and language 0 (MeloTTS gives blanks
    language 0 whatever the sentence's; polyvox gives them the sentence's language, so for a one-language voice
    the difference of the language rows is folded into the blank's row).
    """
    if PAD not in symbols:
        raise PretrainedImportError(f"the MeloTTS symbol list has no pad symbol {PAD!r}")
    entries = [MELOTTS_LANGUAGES[name] for name in languages]
    embedding, tone_rows, language_rows = generator[SYMBOLS], generator[TONES], generator[LANGUAGES]
    needed = max(entry.first_tone + entry.n_tones for entry in entries)
    if needed > tone_rows.shape[0]:
        raise PretrainedImportError(f"the checkpoint has {tone_rows.shape[0]} tone rows, fewer than MeloTTS's tones of {languages} need")
    first = entries[0]
    offsets = torch.stack([tone_rows[entry.first_tone] - tone_rows[first.first_tone] for entry in entries])
    names = [*RESERVED_SYMBOLS, *(symbol for symbol in symbols if symbol not in RESERVED_SYMBOLS)]
    rows = initial_rows(len(names), embedding.shape[1], NEW_ROW_SEED)
    for index, symbol in enumerate(names):
        if symbol in symbols:
            rows[index] = embedding[symbols.index(symbol)] + tone_rows[first.first_tone]
            if _english_vowel_delta(symbol, languages):
                english = MELOTTS_LANGUAGES["EN"].first_tone
                rows[index] += tone_rows[english + 1] - tone_rows[english]
    blank = embedding[symbols.index(PAD)] + tone_rows[0] + language_rows[0] - language_rows[first.language_id]
    rows[0] = blank
    accents = torch.zeros(len(ACCENTS), embedding.shape[1])
    for name, entry in zip(languages, entries):
        for local, accent in MELO_ACCENTS.get(name, {}).items():
            if accent:
                unmarked = entry.first_tone + (1 if name == "EN" else 0)
                accents[ACCENTS.index(accent)] = tone_rows[entry.first_tone + local] - tone_rows[unmarked]
    notes = [
        f"symbols: {len(symbols)} MeloTTS phonemes as the features scheme's phoneme table, its tones of "
        f"{', '.join(languages)} as accents ({_accent_summary(languages)}); ^, $ and space are new rows (MeloTTS has none)"
    ]
    if len(entries) > 1:
        notes.append("blanks: MeloTTS gives them language 0, polyvox the sentence's language; with several languages they differ")
        shared = sorted(ENGLISH_VOWELS & SHARED_WITH_MANDARIN & set(symbols))
        if "EN" in languages and "ZH" in languages and shared:
            notes.append(
                f"English vowels {shared} are also Mandarin finals and keep the Mandarin rows: in English words their "
                "rows differ from MeloTTS's by its English tone 1 - tone 0"
            )
    return FeaturesTables(SymbolTable(names), rows, accents, offsets, tuple(notes))


def _accent_summary(languages: list[str]) -> str:
    marked = [
        f"{name} {local}->{accent}" for name in languages for local, accent in MELO_ACCENTS.get(name, {}).items() if accent
    ]
    return ", ".join(marked) if marked else "one tone each, unmarked"


def encode_melotts(symbols: SymbolTable, phones: list[str], tones: list[int], melo_language: str) -> tuple[list[int], list[int]]:
    """(phoneme ids, prosody ids) of an imported MeloTTS voice for what MeloTTS's front end gives: its phones and
    its (global) tone ids in one language ("EN", "ZH", ...)."""
    if len(phones) != len(tones):
        raise PretrainedImportError(f"{len(phones)} phones but {len(tones)} tones: pass MeloTTS's two sequences as it made them")
    first = MELOTTS_LANGUAGES[melo_language].first_tone
    prosody = [prosody_id(melo_accent(melo_language, tone - first) if phone != PAD else "", "") for phone, tone in zip(phones, tones)]
    return symbols.encode(phones), prosody
