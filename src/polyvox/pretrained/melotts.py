"""MeloTTS (myshell-ai/MeloTTS): ``checkpoint.pth`` with its ``config.json`` (symbols, tones, languages, speakers).

MeloTTS adds to every token a tone embedding, a language embedding and two projected BERT features. The imported
voice reads the ``features`` input scheme: MeloTTS's phonemes are its phoneme table and MeloTTS's tones its accents
(Mandarin tones 1-5, English stress), so no (phoneme, tone) table exists; the language rows are MeloTTS's, and the
BERT projections' biases join the language projection (the output is MeloTTS's with zero BERT features).
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

from polyvox.voice_file import VoiceMetadata
from polyvox.config import TextConfig
from polyvox.pretrained.architecture import architecture_from_sections, voice_config
from polyvox.pretrained.common import (
    SOURCE_SPEAKER_EMBEDDING,
    SOURCE_SYMBOL_EMBEDDING,
    add_common_notes,
    add_speaker_rows,
    note_training_state,
    with_speaker_channels,
)
from polyvox.pretrained.errors import PretrainedImportError
from polyvox.pretrained.layout import SourceCheckpoint
from polyvox.pretrained.melotts_text import LANGUAGES, MELOTTS_LANGUAGES, SYMBOLS, TONES, FeaturesTables, features_tables, voice_languages
from polyvox.pretrained.names import DurationRole
from polyvox.pretrained.plan import ImportPlan, PreparedTensor
from polyvox.pretrained.reading import read_json
from polyvox.pretrained.symbol_files import check_symbol_list
from polyvox.text.prosody import LENGTHS

BERT_PROJECTIONS = ("enc_p.bert_proj", "enc_p.ja_bert_proj")
# MeloTTS's layer of speaker conditioning inside its text encoder and transformer flows (cond_layer_idx).
SPEAKER_CONDITION_LAYER = 2
# MeloTTS's synthesis defaults: share of the stochastic duration predictor, and noise scales.
SDP_RATIO = 0.2
SYNTHESIS_DEFAULTS = {"sdp_ratio": SDP_RATIO, "noise_scale": 0.6, "noise_scale_w": 0.8}


def _indices(generator: dict[str, torch.Tensor], pattern: str) -> int:
    """How many distinct values the ``{}`` in ``pattern`` takes among the tensor names."""
    prefix, suffix = pattern.split("{}")
    found = {name[len(prefix) :].split(".", 1)[0] for name in generator if name.startswith(prefix) and suffix in name}
    return len({value for value in found if value.isdigit()})


def _architecture_overrides(generator: dict[str, torch.Tensor]) -> dict[str, Any]:
    transformer = "flow.flows.0.enc.attn_layers.0.conv_q.weight" in generator
    n_flows = len({name.split(".")[2] for name in generator if name.startswith("flow.flows.") and ".pre." in name})
    layers = _indices(generator, "flow.flows.0.enc.attn_layers.{}.conv_q") if transformer else _indices(generator, "flow.flows.0.enc.in_layers.{}.")
    conditioned_flow = any(name.startswith("flow.flows.0.enc.spk_emb_linear.") for name in generator)
    return {
        "flow_type": "transformer" if transformer else "wavenet",
        "n_flows": n_flows,
        "flow_layers": layers,
        "flow_speaker_condition_layer": SPEAKER_CONDITION_LAYER if transformer and conditioned_flow else None,
        "text_speaker_condition_layer": SPEAKER_CONDITION_LAYER if "enc_p.encoder.spk_emb_linear.weight" in generator else None,
        "stochastic_weight": SDP_RATIO,
    }


def _speakers(spk2id: dict[str, int], n_rows: int) -> tuple[tuple[str, ...], list[int], list[int]]:
    """(names, source rows, rows dropped): named speakers in id order; unnamed rows are dropped."""
    if not spk2id:
        return tuple(f"speaker_{index}" for index in range(n_rows)), list(range(n_rows)), []
    named = sorted((int(index), str(name)) for name, index in spk2id.items() if 0 <= int(index) < n_rows)
    rows = [index for index, _ in named]
    return tuple(name for _, name in named), rows, sorted(set(range(n_rows)) - set(rows))


def plan_melotts(checkpoint: SourceCheckpoint, path: Path, config_path: Path | None, phoneme_map: Path | None, language: str | None) -> ImportPlan:
    if config_path is None:
        raise PretrainedImportError(f"{path} is a MeloTTS checkpoint: pass its config.json (config_path=..., or --config)")
    config = read_json(config_path, "MeloTTS config")
    source = str(config_path)
    generator = checkpoint.generator
    if SOURCE_SPEAKER_EMBEDDING not in generator:
        raise PretrainedImportError(
            f"{path} has no speaker table (emb_g): MeloTTS models with a reference encoder (n_speakers 0) are not imported"
        )
    data, model, train = config.get("data", {}), with_speaker_channels(config.get("model", {}), generator), config.get("train", {})
    arch = replace(architecture_from_sections(data, model, train, source), **_architecture_overrides(generator))
    arch = replace(arch, language_channels=arch.hidden_channels)
    symbols = check_symbol_list(config.get("symbols"), source)
    if len(symbols) != generator[SOURCE_SYMBOL_EMBEDDING].shape[0]:
        raise PretrainedImportError(
            f"{source} lists {len(symbols)} symbols but the checkpoint's embedding has "
            f"{generator[SOURCE_SYMBOL_EMBEDDING].shape[0]} rows: pass the config.json of this checkpoint"
        )
    spk2id = data.get("spk2id") or {}
    speakers, speaker_rows, dropped = _speakers(spk2id, int(generator[SOURCE_SPEAKER_EMBEDDING].shape[0]))
    melo_languages = voice_languages(list(spk2id), language, source)
    tables = features_tables(symbols, melo_languages, generator)
    codes = tuple(MELOTTS_LANGUAGES[name].code for name in melo_languages)
    text = TextConfig(
        languages=codes, add_blank=bool(data.get("add_blank", True)), inline_latin_language=codes[0],
        sequence_layout="vits", token_unit="phoneme",
    )
    metadata = VoiceMetadata(
        config=voice_config(arch, text, len(speakers), source, prosody_embeddings=True),
        symbols=tables.symbols,
        languages=codes,
        speakers=speakers,
        info={
            "imported_from": "MeloTTS",
            "source": path.name,
            "iteration": str(checkpoint.entries.get("iteration", "unknown")),
            **{f"melotts_{name}": str(value) for name, value in SYNTHESIS_DEFAULTS.items()},
        },
    )
    roles: dict[str, DurationRole] = {"sdp": "stochastic", "dp": "deterministic"}
    plan = ImportPlan(layout="MeloTTS", metadata=metadata, generator=generator, duration_roles=roles)
    _add_text_tables(plan, tables)
    _fold_languages(plan, melo_languages, arch.hidden_channels, tables.language_offsets)
    add_speaker_rows(plan, speaker_rows, dropped)
    add_common_notes(plan, arch, arch.n_fft // 2 + 1, roles)
    plan.notes.extend(tables.notes)
    plan.notes.append(
        f"durations: the stochastic and deterministic predictors are blended as MeloTTS's sdp_ratio {SDP_RATIO} "
        "(duration.stochastic_weight)"
    )
    plan.notes.append(
        "text: the voice's phonemes are MeloTTS's, which polyvox's front end does not produce; use it with ids from "
        "MeloTTS's text processing (polyvox.pretrained.melotts_text.encode_melotts), or fine-tune it on polyvox phonemes"
    )
    note_training_state(plan, checkpoint.entries, "iteration")
    return plan


def _add_text_tables(plan: ImportPlan, tables: FeaturesTables) -> None:
    sources = (SYMBOLS, TONES, LANGUAGES)
    plan.prepared["text_encoder.symbol_embedding.weight"] = PreparedTensor(
        tables.phoneme_rows, sources, "phoneme rows remapped symbol by symbol, each with the tone it carries unmarked"
    )
    plan.prepared["text_encoder.accent_embedding.weight"] = PreparedTensor(
        tables.accent_rows, (TONES,), "MeloTTS's tones as accents: tone row minus the unmarked tone's row"
    )
    plan.prepared["text_encoder.length_embedding.weight"] = PreparedTensor(
        torch.zeros(len(LENGTHS), tables.accent_rows.shape[1]),
        (), "zero: MeloTTS marks no vowel length",
    )
    plan.consumed.update(sources)


def _fold_languages(plan: ImportPlan, melo_languages: list[str], hidden: int, offsets: torch.Tensor) -> None:
    """MeloTTS adds (language row + BERT biases) before scaling by sqrt(hidden); polyvox adds
    projection(language row) after it: so the projection is sqrt(hidden) * identity with the scaled biases."""
    generator = plan.generator
    rows = generator[LANGUAGES][[MELOTTS_LANGUAGES[name].language_id for name in melo_languages]] + offsets
    plan.prepared["text_encoder.language_embedding.weight"] = PreparedTensor(
        rows, (LANGUAGES, TONES), "language rows of the voice's languages, each with its first tone's offset"
    )
    scale = math.sqrt(hidden)
    biases = [f"{prefix}.bias" for prefix in BERT_PROJECTIONS if f"{prefix}.bias" in generator]
    bias = sum((generator[name] for name in biases), torch.zeros(hidden)) * scale
    plan.prepared["text_encoder.language_projection.weight"] = PreparedTensor(
        torch.eye(hidden) * scale, (LANGUAGES,), "sqrt(hidden) x identity: MeloTTS scales the language row with the symbol row"
    )
    plan.prepared["text_encoder.language_projection.bias"] = PreparedTensor(
        bias, tuple(biases), "BERT projection biases (what zero BERT features contribute), scaled by sqrt(hidden)"
    )
    plan.consumed.update({LANGUAGES, *biases})
    for prefix in BERT_PROJECTIONS:
        if f"{prefix}.weight" in generator:
            plan.left_out[f"{prefix}.weight"] = "polyvox has no BERT features; their bias is folded in, as if the features were zero"
    plan.notes.append(
        "BERT features are not carried over: polyvox has none, so the voice computes MeloTTS's output for zero BERT "
        "features (the projections' biases are kept); expect flatter prosody than MeloTTS with BERT"
    )
