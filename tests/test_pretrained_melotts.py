"""Importing MeloTTS checkpoints (checkpoint.pth + config.json): tones, languages and BERT folded into polyvox's tables."""

from __future__ import annotations

import math

import pytest
import torch

from polyvox.checkpoint import save_voice
from polyvox.inference.voice import Voice
from polyvox.pretrained import import_checkpoint
from vits_family_checkpoints import MELO_SYMBOLS, assert_lands_where_expected, source_accounting, write_melotts

EN_LANGUAGE, EN_FIRST_TONE = 2, 7  # MeloTTS's language id and first tone id of English


@pytest.fixture(scope="module")
def melo(tmp_path_factory):
    checkpoint, config, layout = write_melotts(tmp_path_factory.mktemp("melotts"))
    return layout, import_checkpoint(checkpoint, config)


def test_every_tensor_lands_where_it_should(melo):
    layout, (tensors, _, report) = melo
    assert_lands_where_expected(layout, tensors)  # includes the transformer flows and the speaker-conditioned text encoder
    source_accounting(layout, report)
    assert [entry.source for entry in report.shape_mismatched] == ["enc_q.pre.weight"]
    assert {entry.source for entry in report.unexpected} == {"enc_p.bert_proj.weight", "enc_p.ja_bert_proj.weight"}
    assert report.missing == []  # MeloTTS has both duration predictors


def test_phoneme_tone_rows(melo):
    layout, (tensors, metadata, _) = melo
    source = layout.tensors
    rows = tensors["text_encoder.symbol_embedding.weight"]
    for index, symbol in enumerate(MELO_SYMBOLS):
        for tone in range(EN_FIRST_TONE, EN_FIRST_TONE + 4):
            expected = source["enc_p.emb.weight"][index] + source["enc_p.tone_emb.weight"][tone]
            assert torch.allclose(rows[metadata.symbols.id_of(f"{symbol}#{tone}")], expected), (symbol, tone)
    # MeloTTS's blank has tone 0 and language 0 (Chinese) in every language; polyvox gives it the sentence's language.
    blank = source["enc_p.emb.weight"][0] + source["enc_p.tone_emb.weight"][0]
    blank = blank + source["enc_p.language_emb.weight"][0] - source["enc_p.language_emb.weight"][EN_LANGUAGE]
    assert torch.allclose(rows[0], blank)


def test_text_encoder_input_is_melotts_sum(melo):
    """(symbol + tone + language + BERT biases) * sqrt(hidden), as MeloTTS computes it with zero BERT features."""
    layout, (tensors, metadata, _) = melo
    source = layout.tensors
    hidden = 16
    symbol, tone = "ah", EN_FIRST_TONE + 2
    polyvox_input = tensors["text_encoder.symbol_embedding.weight"][metadata.symbols.id_of(f"{symbol}#{tone}")] * math.sqrt(hidden)
    language_row = tensors["text_encoder.language_embedding.weight"][0]
    polyvox_input = polyvox_input + tensors["text_encoder.language_projection.weight"] @ language_row + tensors["text_encoder.language_projection.bias"]
    melo_input = (
        source["enc_p.emb.weight"][MELO_SYMBOLS.index(symbol)] + source["enc_p.tone_emb.weight"][tone]
        + source["enc_p.language_emb.weight"][EN_LANGUAGE] + source["enc_p.bert_proj.bias"] + source["enc_p.ja_bert_proj.bias"]
    ) * math.sqrt(hidden)
    assert torch.allclose(polyvox_input, melo_input, atol=1e-6)


def test_speaker_table_is_resized_to_named_speakers(melo):
    layout, (tensors, metadata, report) = melo
    assert metadata.speakers == ("EN-US", "EN-BR")
    assert torch.equal(tensors["speaker_embedding.weight"], layout.tensors["emb_g.weight"][[0, 2]])
    assert any("source ids [1, 3]" in note for note in report.notes)


def test_config_reproduces_melotts(melo):
    _, (_, metadata, report) = melo
    model = metadata.config.model
    assert metadata.languages == ("en",)
    assert model.flow.type == "transformer" and model.flow.n_layers == 3 and model.flow.speaker_condition_layer == 2
    assert model.text_encoder.speaker_condition_layer == 2 and model.text_encoder.language_channels == 16
    assert model.duration.stochastic_weight == 0.2 and model.duration.log_duration_offset == 0.0
    assert metadata.config.audio.hop_length == 512 and metadata.config.audio.n_mels == 128
    assert any("BERT features are not carried over" in note for note in report.notes)


def test_imported_voice_loads_and_synthesizes_from_melotts_ids(melo, tmp_path):
    _, (tensors, metadata, _) = melo
    voice = Voice.load(save_voice(tmp_path / "melo.safetensors", tensors, metadata))
    names = ["_", "_#7", "_", "hh#7", "_", "ah#8", "_", "l#7", "_", "ow#9", "_", ".#7", "_", "_#7", "_"]
    ids = torch.tensor([metadata.symbols.encode(names)])
    output = voice.generator.synthesize(
        ids, torch.zeros_like(ids), torch.tensor([ids.shape[1]]), torch.tensor([1]), noise_generator=torch.Generator().manual_seed(0)
    )
    assert output.waveform.shape[-1] == int(output.sample_lengths[0]) and torch.isfinite(output.waveform).all()
