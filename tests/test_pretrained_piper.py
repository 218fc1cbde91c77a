"""Importing Piper checkpoints (a piper_train Lightning .ckpt and the voice's .onnx.json)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from polyvox.voice_file import save_voice
from polyvox.inference.voice import Voice
from polyvox.pretrained import PretrainedImportError, import_checkpoint
from polyvox.text import TextFrontend, to_ids
from vits_family_checkpoints import ENGLISH, PIPER_SPEAKERS, assert_lands_where_expected, piper_phoneme_map, source_accounting, write_piper


@pytest.fixture(scope="module")
def piper(tmp_path_factory):
    checkpoint, voice_json, layout = write_piper(tmp_path_factory.mktemp("piper"))
    return checkpoint, voice_json, layout, import_checkpoint(checkpoint, phoneme_map=voice_json)


def test_every_tensor_lands_where_it_should(piper):
    _, _, layout, (tensors, _, report) = piper
    assert_lands_where_expected(layout, tensors)
    # The discriminator is listed, tensor by tensor, as not imported.
    discriminator = tuple(f"model_d.discriminators.0.convs.0.{name}" for name in ("weight_g", "weight_v", "bias"))
    source_accounting(layout, report, discriminator)
    assert [entry.source for entry in report.shape_mismatched] == ["enc_q.pre.weight"]
    assert {entry.source for entry in report.unexpected} == set(discriminator)


def test_phoneme_rows_move_to_their_polyvox_ids(piper):
    _, _, layout, (tensors, metadata, report) = piper
    rows = tensors["text_encoder.symbol_embedding.weight"]
    for symbol, (piper_id,) in piper_phoneme_map().items():
        assert torch.equal(rows[metadata.symbols.id_of(symbol)], layout.tensors["enc_p.emb.weight"][piper_id]), symbol
    # Piper's reserved ids are polyvox's: _ ^ $ and space keep ids 0-3.
    assert metadata.symbols.to_list()[:4] == ["_", "^", "$", " "]
    assert any("embedding rows have no symbol and are not imported" in note for note in report.notes)


def test_speaker_rows_and_names(piper):
    _, _, layout, (tensors, metadata, _) = piper
    by_id = sorted(PIPER_SPEAKERS, key=PIPER_SPEAKERS.get)
    assert metadata.speakers == tuple(by_id)
    assert torch.equal(tensors["speaker_embedding.weight"], layout.tensors["emb_g.weight"])


def test_config_reproduces_piper(piper):
    _, _, _, (_, metadata, _) = piper
    config = metadata.config
    assert metadata.languages == ("en",)  # espeak voice en-us is polyvox's en
    assert config.model.decoder.resblock_type == "2" and config.model.decoder.resblock_dilations == ((1, 2), (2, 6), (3, 12))
    assert config.model.speaker_channels == 8 and config.model.n_speakers == 3
    assert config.text.sequence_layout == "piper" and config.text.token_unit == "codepoint"
    assert metadata.info["piper_noise_w"] == "0.8"
    # Piper's settings are the voice's own: a request that leaves them out speaks with them (synthesis_settings.py).
    assert json.loads(metadata.info["synthesis"]) == {"speed": 1.0, "noise_scale": 0.667, "noise_scale_duration": 0.8}


def test_ids_are_laid_out_as_piper_does(piper):
    _, voice_json, _, (_, metadata, _) = piper
    tokens = TextFrontend(["en"]).phonemize("Hello.", "en")
    ids, _ = to_ids(tokens, metadata.symbols, True, {"en": 0}, "piper", split_codepoints=True)
    piper_map = json.loads(voice_json.read_text(encoding="utf-8"))["phoneme_id_map"]
    characters = [character for token in tokens for character in token.symbol]
    piper_ids = [1] + [value for character in characters for value in (0, piper_map[character][0])] + [0, 2]
    inverse = {row: symbol for symbol, (row,) in piper_map.items()}
    assert metadata.symbols.decode(ids) == [inverse[piper_id] for piper_id in piper_ids]


def test_imported_voice_speaks(piper, tmp_path):
    _, _, _, (tensors, metadata, _) = piper
    voice = Voice.load(save_voice(tmp_path / "piper.safetensors", tensors, metadata))
    result = voice.synthesize(ENGLISH, speaker="kim", seed=0)
    assert result.samples.size > 0 and np.isfinite(result.samples).all()


def test_side_file_errors(piper, tmp_path):
    checkpoint, voice_json, _, _ = piper
    with pytest.raises(PretrainedImportError, match="onnx.json"):
        import_checkpoint(checkpoint)
    other_rate = json.loads(voice_json.read_text(encoding="utf-8"))
    other_rate["audio"]["sample_rate"] = 16000
    wrong = tmp_path / "other.onnx.json"
    wrong.write_text(json.dumps(other_rate), encoding="utf-8")
    with pytest.raises(PretrainedImportError, match="16000 Hz but the checkpoint was trained at 22050 Hz"):
        import_checkpoint(checkpoint, phoneme_map=wrong)


def test_a_character_missing_from_the_id_map_has_a_stand_in_or_a_one_line_error(piper, caplog):
    """Piper numbers characters: one the voice's map lacks must not refuse the whole sentence."""
    import logging

    from polyvox.text.errors import UnknownSymbolError
    from polyvox.text.rules import TextRules
    from polyvox.text.token import Token

    _, _, _, (_, metadata, _) = piper
    rules = TextRules(metadata.config, metadata.languages, metadata.symbols)
    assert "æ" in metadata.symbols and "l" in metadata.symbols and "ɫ" not in metadata.symbols
    with caplog.at_level(logging.WARNING, logger="polyvox.text.rules"):
        resolved = rules.resolve_unseen([Token("k", "en"), Token("æ\u0303", "en"), Token("ʰ", "en"), Token("ɫ", "en")])
    assert [token.symbol for token in resolved] == ["k", "æ", "l"]
    assert "left out" in caplog.text and "spoken as 'l'" in caplog.text
    assert rules.unknown_sounds([Token("æ\u0303ɫ", "en"), Token("ʘ", "en")]) == ["ʘ"]
    with pytest.raises(UnknownSymbolError, match="'ʘ'"):
        rules.encode_tokens(rules.resolve_unseen([Token("k", "en"), Token("ʘ", "en")]))
