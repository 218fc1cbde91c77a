"""Growing a voice's tables (symbols, languages, speakers) without touching what was trained.

Existing entries keep their ids and their rows bit for bit; new entries are appended, and their rows
start from trained ones, never at random: a new speaker from the mean of the trained speakers, a new
language from a named related language (or the mean), a new phoneme from the trained symbol with the
same base phoneme (tone, length and diacritic marks stripped), else the mean of the trained phonemes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from polyvox.voice_file import VoiceMetadata
from polyvox.finetune.errors import FinetuneSetupError
from polyvox.finetune.symbol_match import closest_symbol
from polyvox.text.symbols import PUNCTUATION_SYMBOLS, RESERVED_SYMBOLS

SYMBOL_TABLE = "text_encoder.symbol_embedding.weight"
LANGUAGE_TABLE = "text_encoder.language_embedding.weight"
SPEAKER_TABLE = "speaker_embedding.weight"


def grow_metadata(
    source: VoiceMetadata, symbols: Iterable[str], languages: Sequence[str], speakers: Sequence[str]
) -> VoiceMetadata:
    """``source`` with every unseen symbol, language and speaker appended (existing ids unchanged)."""
    grown_languages = tuple(dict.fromkeys([*source.languages, *languages]))
    grown_speakers = tuple(dict.fromkeys([*source.speakers, *speakers]))
    config = source.config.replace(**{"text.languages": list(grown_languages), "model.n_speakers": len(grown_speakers)})
    return dataclasses.replace(
        source, config=config, symbols=source.symbols.extend(symbols), languages=grown_languages, speakers=grown_speakers
    )


@dataclass(frozen=True)
class GrownTable:
    rows: Tensor  # (entries, channels): the trained rows in their (possibly new) places, new rows filled
    kept: int
    initialised: tuple[tuple[str, str], ...]  # (new entry, how its row was initialised)
    note: str = ""  # what happened to the kept rows, when they were not kept as they were

    def describe(self, noun: str) -> str:
        new = "; ".join(f"{name!r} = {how}" for name, how in self.initialised)
        text = f"{self.kept} trained {noun} rows kept, {len(self.initialised)} new" + (f": {new}" if new else "")
        return f"{text} ({self.note})" if self.note else text


def grow_rows(rows: Tensor, old: Sequence[str], new: Sequence[str], initial_row: Callable[[str], tuple[Tensor, str]]) -> GrownTable:
    """Rows for the table ``new`` from the rows of ``old`` (matched by name); ``initial_row`` gives each
    unseen entry its row and a description of where it came from."""
    if rows.shape[0] != len(old):
        raise FinetuneSetupError(f"a table has {rows.shape[0]} rows but its metadata names {len(old)} entries; the source is inconsistent")
    old_index = {name: index for index, name in enumerate(old)}
    grown = torch.empty((len(new), rows.shape[1]), dtype=rows.dtype)
    initialised = []
    for index, name in enumerate(new):
        if name in old_index:
            grown[index] = rows[old_index[name]]
        else:
            row, how = initial_row(name)
            grown[index] = row
            initialised.append((name, how))
    return GrownTable(grown, kept=len(new) - len(initialised), initialised=tuple(initialised))


def speaker_rows(
    rows: Tensor, old: Sequence[str], new: Sequence[str], timbres: Mapping[str, tuple[Tensor, int]] | None = None
) -> GrownTable:
    """New speakers start from their clips' timbre when the voice has a reference encoder (``timbres``:
    speaker -> (vector, clips used)), else from the mean of the trained rows.

    A table of zeros (an imported single-speaker voice, ``SINGLE_SPEAKER_CHANNELS``: its rows and every weight that
    reads them are zero) would stay zero, and every speaker the same voice: a zero row gives those weights no
    gradient, and zero weights give the rows none. Every row then starts as one fixed unit vector, which the zero
    weights ignore (the voice sounds as it did), and the speakers part as their clips pull them."""
    zeros = not bool(rows.any())
    if zeros:
        rows = torch.full_like(rows, rows.shape[1] ** -0.5)
    mean = rows.mean(dim=0)
    timbres = timbres or {}

    def initial(name: str) -> tuple[Tensor, str]:
        if name in timbres:
            vector, clips = timbres[name]
            return vector.to(rows.dtype), f"reference encoder's timbre of {clips} of its clips"
        return mean, f"mean of the {len(old)} trained speaker rows"

    grown = grow_rows(rows, old, new, initial)
    if zeros:
        grown = dataclasses.replace(grown, note="all were zero, as a single-speaker import's are: every row starts as one unit vector, so the speakers can part")
    return grown


def language_rows(rows: Tensor, old: Sequence[str], new: Sequence[str], related: Mapping[str, str]) -> GrownTable:
    """New languages start from ``related[language]``'s row when named (e.g. ``{"pt": "es"}``), else the mean."""
    unknown = {language: base for language, base in related.items() if base not in old}
    if unknown:
        raise FinetuneSetupError(
            f"--language-init names {', '.join(sorted(set(unknown.values())))}, which the voice does not speak; "
            f"choose one of {', '.join(old)}"
        )
    mean = rows.mean(dim=0)

    def initial(language: str) -> tuple[Tensor, str]:
        if language in related:
            return rows[list(old).index(related[language])], f"row of {related[language]!r}"
        return mean, f"mean of the {len(old)} trained language rows"

    return grow_rows(rows, old, new, initial)


def symbol_rows(rows: Tensor, old: Sequence[str], new: Sequence[str]) -> GrownTable:
    """New symbols start from the trained symbol with the same base phoneme, else the mean of the phoneme rows."""
    not_phonemes = set(RESERVED_SYMBOLS) | set(PUNCTUATION_SYMBOLS)
    phonemes = [name for name in old if name not in not_phonemes]
    phoneme_ids = [index for index, name in enumerate(old) if name not in not_phonemes]
    mean = rows[phoneme_ids].mean(dim=0) if phoneme_ids else rows.mean(dim=0)
    described_mean = f"mean of the {len(phoneme_ids) or len(old)} trained phoneme rows"

    def initial(symbol: str) -> tuple[Tensor, str]:
        match = closest_symbol(symbol, phonemes)
        if match is None:
            return mean, described_mean
        return rows[list(old).index(match[0])], f"row of {match[0]!r} ({match[1]})"

    return grow_rows(rows, old, new, initial)


def grow_tables(
    tensors: Mapping[str, Tensor],
    source: VoiceMetadata,
    target: VoiceMetadata,
    related_languages: Mapping[str, str],
    speaker_timbres: Mapping[str, tuple[Tensor, int]] | None = None,
) -> dict[str, GrownTable]:
    """The grown rows of each table tensor of ``tensors`` whose entries differ between ``source`` and ``target``."""
    grown = {}
    symbols = (source.symbols.to_list(), target.symbols.to_list())
    if SYMBOL_TABLE in tensors and symbols[0] != symbols[1]:
        grown[SYMBOL_TABLE] = symbol_rows(tensors[SYMBOL_TABLE], *symbols)
    if LANGUAGE_TABLE in tensors and source.languages != target.languages:
        grown[LANGUAGE_TABLE] = language_rows(tensors[LANGUAGE_TABLE], source.languages, target.languages, related_languages)
    # A table of zeros is replaced even with no new speaker: the clips' speakers could never part otherwise.
    if SPEAKER_TABLE in tensors and (source.speakers != target.speakers or not bool(tensors[SPEAKER_TABLE].any())):
        grown[SPEAKER_TABLE] = speaker_rows(tensors[SPEAKER_TABLE], source.speakers, target.speakers, speaker_timbres)
    return grown


TABLE_NOUNS = {SYMBOL_TABLE: "symbol", LANGUAGE_TABLE: "language", SPEAKER_TABLE: "speaker"}
