"""MeloTTS's languages and tones, and its symbol table folded into (phoneme, tone) symbols."""

from __future__ import annotations

import re
from dataclasses import dataclass

import torch
from torch import Tensor

from polyvox.pretrained.errors import PretrainedImportError
from polyvox.pretrained.vocabulary import initial_rows
from polyvox.text.symbols import PAD, RESERVED_SYMBOLS, SymbolTable

SYMBOLS = "enc_p.emb.weight"
TONES = "enc_p.tone_emb.weight"
LANGUAGES = "enc_p.language_emb.weight"
TONE_SEPARATOR = "#"
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


@dataclass(frozen=True)
class FoldedVocabulary:
    symbols: SymbolTable
    rows: Tensor  # (len(symbols), hidden)
    notes: tuple[str, ...]


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


def folded_vocabulary(symbols: list[str], languages: list[str], generator: dict[str, Tensor], n_tones: int) -> tuple[FoldedVocabulary, tuple[str, ...]]:
    """Polyvox symbols ``phoneme#tone`` for the tones of ``languages``, each row the sum of MeloTTS's two rows.

    The polyvox blank ``_`` is MeloTTS's blank: phoneme ``_``, tone 0 and language 0 (MeloTTS gives blanks
    language 0 whatever the sentence's; polyvox gives them the sentence's language, so for a one-language voice
    the difference of the two language rows is folded into the blank's row).
    """
    if PAD not in symbols:
        raise PretrainedImportError(f"the MeloTTS symbol list has no pad symbol {PAD!r}")
    entries = [MELOTTS_LANGUAGES[name] for name in languages]
    tones = sorted({entry.first_tone + offset for entry in entries for offset in range(entry.n_tones)})
    if tones[-1] >= n_tones:
        raise PretrainedImportError(f"the checkpoint has {n_tones} tone rows, fewer than MeloTTS's tones of {languages} need")
    embedding, tone_rows, language_rows = generator[SYMBOLS], generator[TONES], generator[LANGUAGES]
    names = list(RESERVED_SYMBOLS)
    initial = initial_rows(len(RESERVED_SYMBOLS), embedding.shape[1], NEW_ROW_SEED)
    blank = embedding[symbols.index(PAD)] + tone_rows[0]
    notes = [
        f"symbols: {len(symbols)} MeloTTS phonemes x {len(tones)} tones of {', '.join(languages)} as phoneme#tone symbols"
        f" (tone ids {tones[0]}-{tones[-1]}); ^, $ and space are new rows (MeloTTS has none)"
    ]
    if len(entries) == 1 and entries[0].language_id != 0:
        blank = blank + language_rows[0] - language_rows[entries[0].language_id]
    elif len(entries) > 1:
        notes.append("blanks: MeloTTS gives them language 0, polyvox the sentence's language; with several languages they differ")
    rows = [blank, *initial[1:]]
    for index, symbol in enumerate(symbols):
        for tone in tones:
            if symbol == PAD and tone == 0:
                continue  # the blank, above
            names.append(f"{symbol}{TONE_SEPARATOR}{tone}")
            rows.append(embedding[index] + tone_rows[tone])
    vocabulary = FoldedVocabulary(SymbolTable(names), torch.stack(rows), tuple(notes))
    sources = (SYMBOLS, TONES) if len(entries) != 1 or entries[0].language_id == 0 else (SYMBOLS, TONES, LANGUAGES)
    return vocabulary, sources
