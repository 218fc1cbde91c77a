"""Original VITS (jaywalnut310/vits): ``G_*.pth`` with its ``config.json``; symbols from the config or ``text/symbols.py``."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from polyvox.checkpoint import VoiceMetadata
from polyvox.config import TextConfig
from polyvox.pretrained.architecture import SourceArchitecture, require, voice_config
from polyvox.pretrained.common import (
    SOURCE_SPEAKER_EMBEDDING,
    SOURCE_SYMBOL_EMBEDDING,
    add_common_notes,
    add_speaker_rows,
    add_symbol_rows,
    duration_roles_of,
    zero_language_input,
    zero_speaker_inputs,
)
from polyvox.pretrained.errors import PretrainedImportError
from polyvox.pretrained.layout import SourceCheckpoint
from polyvox.pretrained.plan import ImportPlan
from polyvox.pretrained.reading import read_json
from polyvox.pretrained.symbol_files import check_symbol_list, read_symbol_list
from polyvox.pretrained.vocabulary import vocabulary_from_list

# VITS's text cleaners that phonemize with espeak-ng's en-us voice.
ENGLISH_CLEANERS = ("english_cleaners", "english_cleaners2")


def architecture_from_sections(data: dict[str, Any], model: dict[str, Any], train: dict[str, Any], source: str) -> SourceArchitecture:
    """The ``data``/``model``/``train`` sections of a VITS-style config.json (VITS and MeloTTS)."""
    return SourceArchitecture(
        sample_rate=int(require(data, "sampling_rate", source)),
        n_fft=int(require(data, "filter_length", source)),
        win_length=int(require(data, "win_length", source)),
        hop_length=int(require(data, "hop_length", source)),
        n_mels=int(data.get("n_mel_channels", 80)),
        mel_fmin=float(data.get("mel_fmin") or 0.0),
        mel_fmax=data.get("mel_fmax"),
        inter_channels=int(require(model, "inter_channels", source)),
        hidden_channels=int(require(model, "hidden_channels", source)),
        filter_channels=int(require(model, "filter_channels", source)),
        n_heads=int(require(model, "n_heads", source)),
        n_layers=int(require(model, "n_layers", source)),
        kernel_size=int(require(model, "kernel_size", source)),
        dropout=float(model.get("p_dropout", 0.1)),
        resblock_type=str(require(model, "resblock", source)),
        resblock_kernel_sizes=tuple(require(model, "resblock_kernel_sizes", source)),
        resblock_dilations=tuple(tuple(group) for group in require(model, "resblock_dilation_sizes", source)),
        upsample_rates=tuple(require(model, "upsample_rates", source)),
        upsample_initial_channel=int(require(model, "upsample_initial_channel", source)),
        upsample_kernel_sizes=tuple(require(model, "upsample_kernel_sizes", source)),
        speaker_channels=int(model.get("gin_channels", 0)),
        segment_size=int(train.get("segment_size", 8192)),
    )


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
    data, model, train = config.get("data", {}), config.get("model", {}), config.get("train", {})
    generator = checkpoint.generator
    if SOURCE_SPEAKER_EMBEDDING in generator:
        model = {**model, "gin_channels": int(generator[SOURCE_SPEAKER_EMBEDDING].shape[1])}
    arch = architecture_from_sections(data, model, train, source)
    vocabulary = vocabulary_from_list(_symbols(config, phoneme_map, source), int(generator[SOURCE_SYMBOL_EMBEDDING].shape[0]), source)
    n_speakers = int(generator[SOURCE_SPEAKER_EMBEDDING].shape[0]) if SOURCE_SPEAKER_EMBEDDING in generator else 1
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
    add_symbol_rows(plan, vocabulary)
    zero_language_input(plan)
    if SOURCE_SPEAKER_EMBEDDING in generator:
        add_speaker_rows(plan, list(range(n_speakers)), [])
    else:
        zero_speaker_inputs(plan, arch.n_flows, arch.flow_type)
    add_common_notes(plan, arch, arch.n_fft // 2 + 1, roles)
    plan.notes.append(
        "text: polyvox's espeak-ng phonemes split into characters (text.token_unit codepoint), blanks between them and "
        "no BOS/EOS (text.sequence_layout vits), as VITS's english_cleaners2 ids; its other cleaners are not reproduced"
    )
    ignored = sorted(key for key in checkpoint.entries if key != "iteration")
    if ignored:
        plan.notes.append(f"checkpoint entries not imported (training state): {', '.join(ignored)}")
    return plan

