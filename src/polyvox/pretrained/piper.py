"""Piper (rhasspy/piper, piper_train): a Lightning ``.ckpt`` and the voice's ``.onnx.json`` (phoneme and speaker maps)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from torch import Tensor

from polyvox.voice_file import VoiceMetadata
from polyvox.config import TextConfig
from polyvox.pretrained.architecture import SourceArchitecture, architecture_from_sections, voice_config
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
from polyvox.pretrained.names import DurationRole
from polyvox.pretrained.plan import ImportPlan
from polyvox.pretrained.reading import read_json
from polyvox.pretrained.vocabulary import vocabulary_from_rows
from polyvox.text.phonemizers.espeak import VOICE_CANDIDATES
from polyvox.synthesis_settings import INFO_KEY as SYNTHESIS_KEY, SynthesisSettings

HYPER_PARAMETERS = "hyper_parameters"
DISCRIMINATOR_REASON = "discriminator: a voice holds the generator only (fine-tuning starts a new discriminator)"


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
    hparams = with_speaker_channels(hparams, generator)
    roles = duration_roles_of(list(generator), {"dp": "deterministic"})
    # Piper keeps every hyper-parameter in one dict, with its own names for two audio settings.
    arch = architecture_from_sections(hparams, hparams, hparams, source, sample_rate_key="sample_rate", n_mels_key="mel_channels")
    arch = replace(arch, stochastic_weight=1.0 if "stochastic" in roles.values() else 0.0)
    sample_rate = (voice_json.get("audio") or {}).get("sample_rate")
    if sample_rate is not None and int(sample_rate) != arch.sample_rate:
        raise PretrainedImportError(
            f"{voice_json_path} is for {sample_rate} Hz but the checkpoint was trained at {arch.sample_rate} Hz: "
            "pass the .onnx.json of this checkpoint's voice"
        )
    info = {"imported_from": "Piper", "source": path.name, "global_step": str(checkpoint.entries.get("global_step", "unknown"))}
    plan = plan_piper_voice("Piper", generator, arch, roles, voice_json, voice_json_path, source, path, language, info)
    plan.other_tensors = {name: (tensor, DISCRIMINATOR_REASON) for name, tensor in checkpoint.other_tensors.items()}
    note_training_state(plan, checkpoint.entries, HYPER_PARAMETERS)
    return plan


def plan_piper_voice(
    layout: str,
    generator: dict[str, Tensor],
    arch: SourceArchitecture,
    roles: dict[str, DurationRole],
    voice_json: dict[str, Any],
    voice_json_path: Path,
    source: str,
    path: Path,
    language: str | None,
    info: dict[str, str],
) -> ImportPlan:
    """The plan of a Piper voice whose generator tensors (Piper's names) and architecture are known: tables, language,
    speakers and notes from its ``.onnx.json``. Shared by the ``.ckpt`` and the ``.onnx`` importers."""
    rows, map_notes = _phoneme_rows(voice_json, str(voice_json_path))
    vocabulary = vocabulary_from_rows(rows, int(generator[SOURCE_SYMBOL_EMBEDDING].shape[0]), str(voice_json_path))
    n_speakers = source_speaker_count(generator)
    espeak_voice = str((voice_json.get("espeak") or {}).get("voice") or "")
    voice_language = language or (polyvox_language(espeak_voice) if espeak_voice else None)
    if voice_language is None:
        raise PretrainedImportError(f"{voice_json_path} names no espeak voice: pass language=... (--language)")
    text = TextConfig(
        languages=(voice_language,), add_blank=True, inline_latin_language=voice_language,
        sequence_layout="piper", token_unit="codepoint",
    )
    inference = voice_json.get("inference") or {}
    piper_info = {f"piper_{name}": str(value) for name, value in inference.items()}
    # The voice speaks with Piper's settings unless a request names its own (synthesis_settings.py).
    settings = SynthesisSettings.from_info(piper_info)
    metadata = VoiceMetadata(
        config=voice_config(arch, text, n_speakers, source),
        symbols=vocabulary.symbols,
        languages=(voice_language,),
        speakers=_speakers(voice_json, n_speakers, path.stem),
        info={**info, **piper_info, SYNTHESIS_KEY: settings.to_info()},
    )
    plan = ImportPlan(layout=layout, metadata=metadata, generator=generator, duration_roles=roles)
    plan.notes.extend(map_notes)
    add_single_language_tables(plan, vocabulary, arch)
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
        plan.notes.append(
            f"Piper's synthesis settings {inference} are the voice's own (speed {settings.speed:g}, noise_scale "
            f"{settings.noise_scale:g}, noise_scale_duration {settings.noise_scale_duration:g}): a request that leaves them out speaks with them"
        )
    return plan
