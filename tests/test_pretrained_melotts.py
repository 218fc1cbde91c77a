"""Importing MeloTTS checkpoints (checkpoint.pth + config.json): tones, languages and BERT folded into polyvox's tables."""

from __future__ import annotations

import math

import pytest
import torch

from polyvox.voice_file import save_voice
from polyvox.inference.voice import Voice
from polyvox.pretrained import import_checkpoint
from polyvox.pretrained.errors import PretrainedImportError
from polyvox.pretrained.melotts_text import ENGLISH_VOWELS, encode_melotts
from polyvox.text.prosody import ACCENTS, LENGTHS
from vits_family_checkpoints import MELO_SYMBOLS, assert_lands_where_expected, source_accounting, write_melotts

EN_LANGUAGE, EN_FIRST_TONE = 2, 7  # MeloTTS's language id and first tone id of English
HIDDEN = 16


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


def _melotts_input(source, symbol: str, tone: int, language: int) -> torch.Tensor:
    """(symbol + tone + language + BERT biases) * sqrt(hidden), as MeloTTS computes it with zero BERT features."""
    row = source["enc_p.emb.weight"][MELO_SYMBOLS.index(symbol)] + source["enc_p.tone_emb.weight"][tone]
    row = row + source["enc_p.language_emb.weight"][language] + source["enc_p.bert_proj.bias"] + source["enc_p.ja_bert_proj.bias"]
    return row * math.sqrt(HIDDEN)


def _polyvox_input(encoder, phoneme_id: int, prosody: int, language: int = 0) -> torch.Tensor:
    """The text encoder's input row, computed by its own modules (as its forward does before the layers)."""
    accent, length = torch.tensor([prosody // len(LENGTHS)]), torch.tensor([prosody % len(LENGTHS)])
    row = encoder.symbol_embedding(torch.tensor([phoneme_id])) + encoder.accent_embedding(accent) + encoder.length_embedding(length)
    return (row * math.sqrt(HIDDEN) + encoder.language_projection(encoder.language_embedding(torch.tensor([language]))))[0]


@pytest.fixture(scope="module")
def melo_voice(melo, tmp_path_factory):
    _, (tensors, metadata, _) = melo
    return Voice.load(save_voice(tmp_path_factory.mktemp("voice") / "melo.safetensors", tensors, metadata))


def test_tones_are_accents_not_a_table_of_combinations(melo):
    _, (_, metadata, report) = melo
    assert metadata.config.model.text_encoder.prosody_embeddings
    assert metadata.symbols.to_list()[4:] == [symbol for symbol in MELO_SYMBOLS if symbol != "_"]
    assert any("EN 2->ˈ" in note and "EN 3->ˌ" in note for note in report.notes)


def test_every_phoneme_and_tone_of_melotts_english_sums_to_melotts_rows(melo, melo_voice):
    """Vowels take tones 1-3 (unstressed, primary, secondary stress), everything else tone 0: each pair as MeloTTS's
    English front end makes it gives MeloTTS's input, through encode_melotts."""
    layout, (_, metadata, _) = melo
    encoder = melo_voice.generator.text_encoder
    for symbol in MELO_SYMBOLS[1:]:
        local_tones = (1, 2, 3) if symbol in ENGLISH_VOWELS else (0,)
        for local in local_tones:
            (phoneme_id,), (prosody,) = encode_melotts(metadata.symbols, [symbol], [EN_FIRST_TONE + local], "EN")
            expected = _melotts_input(layout.tensors, symbol, EN_FIRST_TONE + local, EN_LANGUAGE)
            assert torch.allclose(_polyvox_input(encoder, phoneme_id, prosody), expected, atol=1e-5), (symbol, local)


def test_blank_is_melotts_blank(melo, melo_voice):
    # MeloTTS's blank has tone 0 and language 0 (Chinese) in every language; polyvox gives it the sentence's language.
    layout, (_, metadata, _) = melo
    expected = _melotts_input(layout.tensors, "_", 0, 0)
    assert torch.allclose(_polyvox_input(melo_voice.generator.text_encoder, metadata.symbols.id_of("_"), 0), expected, atol=1e-5)


def test_encode_melotts_refuses_a_tone_the_language_lacks(melo):
    _, (_, metadata, _) = melo
    with pytest.raises(PretrainedImportError, match="no tone 5"):
        encode_melotts(metadata.symbols, ["ah"], [EN_FIRST_TONE + 5], "EN")


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


def test_imported_voice_synthesizes_from_melotts_ids(melo, melo_voice):
    _, (_, metadata, _) = melo
    phones = ["_", "hh", "_", "ah", "_", "l", "_", "ow", "_", ".", "_"]
    tones = [0, 7, 0, 8, 0, 7, 0, 9, 0, 7, 0]
    phoneme_ids, prosody_ids = encode_melotts(metadata.symbols, phones, tones, "EN")
    ids = torch.tensor([phoneme_ids])

    def synthesize(prosody):
        return melo_voice.generator.synthesize(
            ids, torch.zeros_like(ids), torch.tensor([ids.shape[1]]), torch.tensor([1]),
            noise_generator=torch.Generator().manual_seed(0), prosody_ids=prosody,
        )

    stressed, unmarked = synthesize(torch.tensor([prosody_ids])), synthesize(None)
    assert stressed.waveform.shape[-1] == int(stressed.sample_lengths[0]) and torch.isfinite(stressed.waveform).all()
    assert not torch.equal(stressed.waveform, unmarked.waveform)  # the stress on "ow" reaches the audio


def test_mandarin_tones_one_to_five_are_accents_one_to_five(tmp_path):
    checkpoint, config, layout = write_melotts(tmp_path)
    tensors, metadata, _ = import_checkpoint(checkpoint, config, language="zh")
    voice = Voice.load(save_voice(tmp_path / "melo-zh.safetensors", tensors, metadata))
    for symbol in ("AA", "E", "b"):
        for tone in range(6):
            (phoneme_id,), (prosody,) = encode_melotts(metadata.symbols, [symbol], [tone], "ZH")
            assert prosody // len(LENGTHS) == ACCENTS.index(str(tone) if tone else "")
            expected = _melotts_input(layout.tensors, symbol, tone, 0)
            assert torch.allclose(_polyvox_input(voice.generator.text_encoder, phoneme_id, prosody), expected, atol=1e-5), (symbol, tone)
