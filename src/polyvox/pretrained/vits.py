"""Original VITS (jaywalnut310/vits): ``G_*.pth`` with its ``config.json``; symbols from the config or ``text/symbols.py``."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from polyvox.voice_file import VoiceMetadata
from polyvox.config import TextConfig
from polyvox.pretrained.architecture import architecture_from_sections, voice_config
from polyvox.pretrained.common import (
    SOURCE_SYMBOL_EMBEDDING,
    add_single_language_tables,
    duration_roles_of,
    note_training_state,
    source_speaker_count,
    with_speaker_channels,
)
from polyvox.pretrained.errors import PretrainedImportError
from polyvox.pretrained.layout import SourceCheckpoint
from polyvox.pretrained.plan import ImportPlan
from polyvox.pretrained.reading import read_json
from polyvox.pretrained.symbol_files import check_symbol_list, read_symbol_list
from polyvox.pretrained.vocabulary import vocabulary_from_list

# VITS's text cleaners that phonemize with espeak-ng's en-us voice.
ENGLISH_CLEANERS = ("english_cleaners", "english_cleaners2")


def _symbols(config: dict[str, Any], phoneme_map: Path | None, source: str) -> list[str]:
    if phoneme_map is not None:
        return read_symbol_list(phoneme_map)
    if "symbols" in config:
        return check_symbol_list(config["symbols"], source)
    raise PretrainedImportError(
        f"{source} has no 'symbols' list and no symbol file was given: pass the VITS text/symbols.py the checkpoint "
        "was trained with (phoneme_map=..., or --phonemes on the command line), or a JSON list of its symbols"
    )


def _language(data: dict[str, Any], language: str | None, source: str) -> str:
    if language is not None:
        return language
    cleaners = data.get("text_cleaners") or []
    if any(cleaner in ENGLISH_CLEANERS for cleaner in cleaners):
        return "en"
    raise PretrainedImportError(
        f"{source}: cannot tell the language from its text cleaners {cleaners}; pass language=... (--language), "
        "e.g. en, de, or an espeak-ng voice code"
    )


def plan_vits(checkpoint: SourceCheckpoint, path: Path, config_path: Path | None, phoneme_map: Path | None, language: str | None) -> ImportPlan:
    if config_path is None:
        raise PretrainedImportError(
            f"{path} is a VITS checkpoint, which holds no hyper-parameters: pass the config.json it was trained with "
            "(config_path=..., or --config on the command line)"
        )
    config = read_json(config_path, "VITS config")
    source = str(config_path)
    generator = checkpoint.generator
    data, model, train = config.get("data", {}), with_speaker_channels(config.get("model", {}), generator), config.get("train", {})
    arch = architecture_from_sections(data, model, train, source)
    vocabulary = vocabulary_from_list(_symbols(config, phoneme_map, source), int(generator[SOURCE_SYMBOL_EMBEDDING].shape[0]), source)
    n_speakers = source_speaker_count(generator)
    voice_language = _language(data, language, source)
    text = TextConfig(
        languages=(voice_language,), add_blank=bool(data.get("add_blank", True)), inline_latin_language=voice_language,
        sequence_layout="vits", token_unit="codepoint",
    )
    roles = duration_roles_of(list(generator), {"dp": "deterministic"})
    arch = replace(arch, stochastic_weight=1.0 if "stochastic" in roles.values() else 0.0)
    metadata = VoiceMetadata(
        config=voice_config(arch, text, n_speakers, source),
        symbols=vocabulary.symbols,
        languages=(voice_language,),
        speakers=tuple(f"speaker_{index}" for index in range(n_speakers)),
        info={"imported_from": "VITS", "source": path.name, "iteration": str(checkpoint.entries.get("iteration", "unknown"))},
    )
    plan = ImportPlan(layout="VITS", metadata=metadata, generator=generator, duration_roles=roles)
    add_single_language_tables(plan, vocabulary, arch)
    plan.notes.append(
        "text: polyvox's espeak-ng phonemes split into characters (text.token_unit codepoint), blanks between them and "
        "no BOS/EOS (text.sequence_layout vits), as VITS's english_cleaners2 ids; its other cleaners are not reproduced"
    )
    note_training_state(plan, checkpoint.entries, "iteration")
    return plan

