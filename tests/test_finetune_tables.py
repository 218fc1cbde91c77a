"""Growing a voice's tables: trained rows and ids kept exactly, new rows from trained ones; the load report."""

from __future__ import annotations

import dataclasses

import torch

from polyvox.voice_file import VoiceMetadata, build_generator
from polyvox.config import preset
from polyvox.finetune.freeze import FREEZE_PRESETS, apply_freeze
from polyvox.finetune.loading import load_with_report
from polyvox.finetune.symbol_match import base_phoneme, closest_symbol
from polyvox.finetune.tables import LANGUAGE_TABLE, SPEAKER_TABLE, SYMBOL_TABLE, grow_metadata, grow_tables
from polyvox.text import SymbolTable

PHONEMES = ["h", "ə", "l", "ˈoʊ", "iː", "t", "ʃ", "ˈæ"]


def source_voice() -> tuple[VoiceMetadata, dict[str, torch.Tensor]]:
    symbols = SymbolTable.from_sequences([PHONEMES])
    metadata = VoiceMetadata(
        config=preset("tiny", ("en", "de"), n_speakers=3), symbols=symbols, languages=("en", "de"),
        speakers=("a", "b", "c"), info={},
    )
    torch.manual_seed(1)
    return metadata, build_generator(metadata).state_dict()


def grown_model(related: dict[str, str] | None = None):
    source, tensors = source_voice()
    target = grow_metadata(source, ["ˈi", "ɨ", "h", "o"], ["es"], ["d", "a"])
    model = build_generator(target)
    entries = load_with_report(model, tensors, grow_tables(tensors, source, target, related or {}), "generator.")
    return source, tensors, target, model.state_dict(), entries


def test_tables_grow_by_appending_and_keep_ids():
    source, _, target, _, _ = grown_model()
    old = source.symbols.to_list()
    assert target.symbols.to_list()[: len(old)] == old
    assert target.symbols.to_list()[len(old) :] == ["ˈi", "ɨ", "o"]
    assert target.languages == ("en", "de", "es")
    assert target.speakers == ("a", "b", "c", "d")
    assert target.config.model.n_speakers == 4 and target.config.text.languages == ("en", "de", "es")


def test_trained_rows_are_kept_bit_for_bit_and_every_other_tensor_is_copied():
    source, tensors, target, state, _ = grown_model()
    assert torch.equal(state[SYMBOL_TABLE][: len(source.symbols)], tensors[SYMBOL_TABLE])
    assert torch.equal(state[LANGUAGE_TABLE][:2], tensors[LANGUAGE_TABLE])
    assert torch.equal(state[SPEAKER_TABLE][:3], tensors[SPEAKER_TABLE])
    for name, tensor in tensors.items():
        if name not in (SYMBOL_TABLE, LANGUAGE_TABLE, SPEAKER_TABLE):
            assert torch.equal(state[name], tensor), name


def test_new_rows_start_from_trained_rows_as_stated():
    source, tensors, target, state, entries = grown_model()
    old_symbols = tensors[SYMBOL_TABLE]
    new_id = target.symbols.id_of
    # "ˈi" has the base phoneme of "iː"; "o" begins like "ˈoʊ"; "ɨ" has no relative: the mean of the phoneme rows.
    assert torch.equal(state[SYMBOL_TABLE][new_id("ˈi")], old_symbols[source.symbols.id_of("iː")])
    assert torch.equal(state[SYMBOL_TABLE][new_id("o")], old_symbols[source.symbols.id_of("ˈoʊ")])
    phoneme_rows = old_symbols[[source.symbols.id_of(p) for p in PHONEMES]]
    assert torch.allclose(state[SYMBOL_TABLE][new_id("ɨ")], phoneme_rows.mean(dim=0))
    assert torch.allclose(state[SPEAKER_TABLE][3], tensors[SPEAKER_TABLE].mean(dim=0))
    assert torch.allclose(state[LANGUAGE_TABLE][2], tensors[LANGUAGE_TABLE].mean(dim=0))
    grown = {entry.name: entry.detail for entry in entries if entry.status == "grown"}
    assert "'ˈi' = row of 'iː' (same base phoneme)" in grown[f"generator.{SYMBOL_TABLE}"]
    assert "'ɨ' = mean of the 8 trained phoneme rows" in grown[f"generator.{SYMBOL_TABLE}"]
    assert "'d' = mean of the 3 trained speaker rows" in grown[f"generator.{SPEAKER_TABLE}"]


def test_a_new_language_can_start_from_a_named_one():
    _, tensors, _, state, _ = grown_model(related={"es": "de"})
    assert torch.equal(state[LANGUAGE_TABLE][2], tensors[LANGUAGE_TABLE][1])


def test_report_has_an_entry_for_every_tensor_of_both_sides():
    source, tensors = source_voice()
    tensors = dict(tensors)
    removed = "decoder.conv_pre.bias"
    del tensors[removed]
    tensors["decoder.old_head.weight"] = torch.zeros(3)
    reshaped = "flow.couplings.0.input_projection.weight"
    tensors[reshaped] = torch.zeros(2, 2)
    model = build_generator(source)
    before = {name: value.clone() for name, value in model.state_dict().items()}
    entries = load_with_report(model, tensors, {}, "generator.")
    status = {entry.name: entry.status for entry in entries}
    assert set(status) == {f"generator.{name}" for name in set(before) | set(tensors)}
    assert status[f"generator.{removed}"] == "missing"
    assert status["generator.decoder.old_head.weight"] == "unexpected"
    assert status[f"generator.{reshaped}"] == "shape_mismatch"
    assert sum(value == "loaded" for value in status.values()) == len(before) - 2
    # Left as initialised, never half-copied.
    assert torch.equal(model.state_dict()[reshaped], before[reshaped])
    line = next(entry.line() for entry in entries if entry.name == f"generator.{reshaped}")
    assert "(source [2x2])" in line


def test_base_phonemes_drop_tone_length_stress_and_diacritics():
    assert base_phoneme("ˈaː") == "a"
    assert base_phoneme("uo3") == "uo"
    assert base_phoneme("ɑ̃") == "ɑ"
    assert base_phoneme("tʲ") == "t"
    assert closest_symbol("a4", ["a1", "a", "ai2"]) == ("a", "same base phoneme")
    assert closest_symbol("ɨ", ["a", "t"]) is None


def test_freeze_presets_set_what_trains():
    metadata, _ = source_voice()
    generator = build_generator(metadata)
    summary = apply_freeze(generator, "voice")
    trains = {name.split(".")[0]: parameter.requires_grad for name, parameter in generator.named_parameters()}
    assert trains["decoder"] and trains["flow"] and trains["speaker_embedding"] and trains["posterior_encoder"]
    assert not trains["text_encoder"] and not trains["duration_predictor"] and not trains["stochastic_duration_predictor"]
    assert summary.trainable_parameters == sum(p.numel() for p in generator.parameters() if p.requires_grad)
    assert summary.total_parameters == sum(p.numel() for p in generator.parameters())
    language = apply_freeze(generator, "language")
    assert not any(p.requires_grad for p in generator.decoder.parameters())
    assert all(p.requires_grad for p in generator.text_encoder.parameters())
    assert apply_freeze(generator, "all").trainable_parameters == summary.total_parameters > language.trainable_parameters
    keep_decoder = apply_freeze(generator, "keep-decoder")
    components = {name for name, _ in generator.named_children() if any(True for _ in getattr(generator, name).parameters())}
    assert {name for name, _ in keep_decoder.frozen} == {"decoder"} and {name for name, _ in keep_decoder.trained} == components - {"decoder"}
    text = apply_freeze(generator, "text")
    assert {name for name, _ in text.trained} == {"text_encoder", "duration_predictor", "stochastic_duration_predictor", "speaker_embedding"}
    assert not any(p.requires_grad for p in [*generator.posterior_encoder.parameters(), *generator.flow.parameters()])
    timbre = apply_freeze(generator, "timbre")
    assert {name for name, _ in timbre.trained} == {"speaker_embedding", "posterior_encoder", "flow", "reference_encoder"} & components
    assert not any(p.requires_grad for p in [*generator.text_encoder.parameters(), *generator.duration_predictor.parameters(), *generator.decoder.parameters()])
    prior = apply_freeze(generator, "prior")
    assert {name for name, _ in prior.trained} == {"text_encoder", "duration_predictor", "stochastic_duration_predictor", "flow"}
    decoder = apply_freeze(generator, "decoder")
    assert {name for name, _ in decoder.trained} == {"decoder"} and {name for name, _ in decoder.frozen} == components - {"decoder"}
    assert set(FREEZE_PRESETS) == {"voice", "language", "keep-decoder", "text", "timbre", "prior", "decoder", "all"}


def test_a_style_component_trains_with_the_prosody_and_always_when_the_source_lacks_it():
    from polyvox.finetune.freeze import new_components

    metadata, _ = source_voice()
    styled = dataclasses.replace(metadata, config=metadata.config.replace(**{
        "model.style.enabled": True, "model.style.labels": ["calm", "excited"], "model.style_sampler.enabled": True,
    }))
    generator = build_generator(styled)
    style_parts = ("style_encoder", "style_sampler")
    for preset in ("language", "keep-decoder", "text", "all"):  # a style voice fine-tuned on: the style learns with the prosody
        trained = {name for name, _ in apply_freeze(generator, preset).trained}
        assert set(style_parts) <= trained, preset
    assert not set(style_parts) & {name for name, _ in apply_freeze(generator, "voice").trained}
    # Added by this fine-tune (the source had none of its weights): it trains under every preset, the rest as before.
    fresh = new_components(generator, build_generator(metadata).state_dict().keys())
    assert fresh == frozenset(style_parts)
    voice = apply_freeze(generator, "voice", fresh)
    assert {name for name, _ in voice.trained} == {"speaker_embedding", "posterior_encoder", "flow", "decoder", *style_parts}
    assert all(p.requires_grad for p in generator.style_encoder.parameters()) and not any(p.requires_grad for p in generator.text_encoder.parameters())
