"""Piper (rhasspy/piper, piper_train): a Lightning ``.ckpt`` and the voice's ``.onnx.json`` (phoneme and speaker maps)."""

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
from polyvox.pretrained.vocabulary import vocabulary_from_rows
from polyvox.text.phonemizers.espeak import VOICE_CANDIDATES

HYPER_PARAMETERS = "hyper_parameters"
DISCRIMINATOR_REASON = "discriminator: a voice holds the generator only (fine-tuning starts a new discriminator)"


def _architecture(hparams: dict[str, Any], source: str) -> SourceArchitecture:
    return SourceArchitecture(
        sample_rate=int(require(hparams, "sample_rate", source)),
        n_fft=int(require(hparams, "filter_length", source)),
        win_length=int(require(hparams, "win_length", source)),
        hop_length=int(require(hparams, "hop_length", source)),
        n_mels=int(hparams.get("mel_channels", 80)),
        mel_fmin=float(hparams.get("mel_fmin") or 0.0),
        mel_fmax=hparams.get("mel_fmax"),
        inter_channels=int(require(hparams, "inter_channels", source)),
        hidden_channels=int(require(hparams, "hidden_channels", source)),
        filter_channels=int(require(hparams, "filter_channels", source)),
        n_heads=int(require(hparams, "n_heads", source)),
        n_layers=int(require(hparams, "n_layers", source)),
        kernel_size=int(require(hparams, "kernel_size", source)),
        dropout=float(hparams.get("p_dropout", 0.1)),
        resblock_type=str(require(hparams, "resblock", source)),
        resblock_kernel_sizes=tuple(require(hparams, "resblock_kernel_sizes", source)),
        resblock_dilations=tuple(tuple(group) for group in require(hparams, "resblock_dilation_sizes", source)),
        upsample_rates=tuple(require(hparams, "upsample_rates", source)),
        upsample_initial_channel=int(require(hparams, "upsample_initial_channel", source)),
        upsample_kernel_sizes=tuple(require(hparams, "upsample_kernel_sizes", source)),
        speaker_channels=int(hparams.get("gin_channels") or 0),
        segment_size=int(hparams.get("segment_size", 8192)),
    )


def polyvox_language(espeak_voice: str) -> str:
    """polyvox's code for an espeak-ng voice ("en-us" -> "en"); other voices (e.g. "en-gb-x-rp") are used as they are."""
    for language, voices in VOICE_CANDIDATES.items():
        if espeak_voice in voices or espeak_voice == language:
            return language
    return espeak_voice


def _phoneme_rows(voice_config_json: dict[str, Any], source: str) -> tuple[dict[str, int], list[str]]:
    id_map = voice_config_json.get("phoneme_id_map")
    if not isinstance(id_map, dict) or not id_map:
        raise PretrainedImportError(f"{source} has no 'phoneme_id_map': pass the voice's .onnx.json (Piper writes it next to the model)")
    rows: dict[str, int] = {}
    notes = []
    for symbol, ids in id_map.items():
        ids = ids if isinstance(ids, list) else [ids]
        if not symbol or not ids or not all(isinstance(value, int) for value in ids):
            raise PretrainedImportError(f"{source}: phoneme_id_map entry {symbol!r}: {ids!r} is not a list of ids")
        if len(ids) > 1:
            notes.append(f"phoneme {symbol!r} stands for ids {ids} in Piper; polyvox gives a symbol one row: id {ids[0]}'s")
        rows[symbol] = ids[0]
    return rows, notes


def _speakers(voice_config_json: dict[str, Any], n_speakers: int, fallback: str) -> tuple[str, ...]:
    by_id = {int(index): str(name) for name, index in (voice_config_json.get("speaker_id_map") or {}).items()}
    if n_speakers == 1 and not by_id:
        return (str(voice_config_json.get("dataset") or fallback),)
    return tuple(by_id.get(index, f"speaker_{index}") for index in range(n_speakers))


def plan_piper(checkpoint: SourceCheckpoint, path: Path, config_path: Path | None, phoneme_map: Path | None, language: str | None) -> ImportPlan:
    hparams = checkpoint.entries.get(HYPER_PARAMETERS)
    if not isinstance(hparams, dict):
        raise PretrainedImportError(f"{path} is a Piper checkpoint without 'hyper_parameters'; it cannot be rebuilt")
    voice_json_path = phoneme_map or config_path
    if voice_json_path is None:
        raise PretrainedImportError(
            f"{path} is a Piper checkpoint: pass the voice's .onnx.json for its phoneme ids (phoneme_map=..., or --phonemes)"
        )
    voice_json = read_json(voice_json_path, "Piper voice config")
    source = f"{path} hyper_parameters"
    generator = checkpoint.generator
    if SOURCE_SPEAKER_EMBEDDING in generator:
        hparams = {**hparams, "gin_channels": int(generator[SOURCE_SPEAKER_EMBEDDING].shape[1])}
    roles = duration_roles_of(list(generator), {"dp": "deterministic"})
    arch = replace(_architecture(hparams, source), stochastic_weight=1.0 if "stochastic" in roles.values() else 0.0)
    sample_rate = (voice_json.get("audio") or {}).get("sample_rate")
    if sample_rate is not None and int(sample_rate) != arch.sample_rate:
        raise PretrainedImportError(
            f"{voice_json_path} is for {sample_rate} Hz but the checkpoint was trained at {arch.sample_rate} Hz: "
            "pass the .onnx.json of this checkpoint's voice"
        )
    rows, map_notes = _phoneme_rows(voice_json, str(voice_json_path))
    vocabulary = vocabulary_from_rows(rows, int(generator[SOURCE_SYMBOL_EMBEDDING].shape[0]), str(voice_json_path))
    n_speakers = int(generator[SOURCE_SPEAKER_EMBEDDING].shape[0]) if SOURCE_SPEAKER_EMBEDDING in generator else 1
    espeak_voice = str((voice_json.get("espeak") or {}).get("voice") or "")
    voice_language = language or (polyvox_language(espeak_voice) if espeak_voice else None)
    if voice_language is None:
        raise PretrainedImportError(f"{voice_json_path} names no espeak voice: pass language=... (--language)")
    text = TextConfig(
        languages=(voice_language,), add_blank=True, inline_latin_language=voice_language,
        sequence_layout="piper", token_unit="codepoint",
    )
    inference = voice_json.get("inference") or {}
    metadata = VoiceMetadata(
        config=voice_config(arch, text, n_speakers, source),
        symbols=vocabulary.symbols,
        languages=(voice_language,),
        speakers=_speakers(voice_json, n_speakers, path.stem),
        info={
            "imported_from": "Piper",
            "source": path.name,
            "global_step": str(checkpoint.entries.get("global_step", "unknown")),
            **{f"piper_{name}": str(value) for name, value in inference.items()},
        },
    )
    plan = ImportPlan(layout="Piper", metadata=metadata, generator=generator, duration_roles=roles)
    plan.other_tensors = {name: (tensor, DISCRIMINATOR_REASON) for name, tensor in checkpoint.other_tensors.items()}
    plan.notes.extend(map_notes)
    add_symbol_rows(plan, vocabulary)
    zero_language_input(plan)
    if SOURCE_SPEAKER_EMBEDDING in generator:
        add_speaker_rows(plan, list(range(n_speakers)), [])
    else:
        zero_speaker_inputs(plan, arch.n_flows, arch.flow_type)
    add_common_notes(plan, arch, arch.n_fft // 2 + 1, roles)
    plan.notes.append(
        f"text: polyvox's espeak-ng phonemes ({voice_language}) split into characters and laid out as Piper's ids "
        "(^ _ p _ ... p _ $: text.sequence_layout piper, text.token_unit codepoint)"
    )
    if voice_json.get("phoneme_type", "espeak") != "espeak":
        plan.notes.append(
            f"the voice was trained on phoneme_type {voice_json.get('phoneme_type')!r}, not espeak phonemes: polyvox's "
            "front end gives espeak phonemes, so text will not match its ids until fine-tuned"
        )
    if inference:
        plan.notes.append(f"Piper's synthesis settings {inference} are kept in the voice's info (noise_w is noise_scale_duration)")
    ignored = sorted(key for key in checkpoint.entries if key != HYPER_PARAMETERS)
    if ignored:
        plan.notes.append(f"checkpoint entries not imported (training state): {', '.join(ignored)}")
    return plan
