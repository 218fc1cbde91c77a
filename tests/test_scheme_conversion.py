"""A fused-scheme voice converted to the features scheme keeps its weights and learns no combinations."""

from __future__ import annotations

import logging

import pytest
import torch

from polyvox.voice_file import load_voice_file, save_voice
from polyvox.finetune.errors import FinetuneSetupError
from polyvox.finetune.scheme import bare_phoneme, to_features_scheme
from polyvox.finetune.tables import SYMBOL_TABLE
from polyvox.inference.voice import Voice
from tiny_voices import FUSED_MISSING, make_fused_voice


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    # The bundled voice was converted so (recipes/listener_voice.py); it ships in the features scheme now.
    tensors, metadata = load_voice_file(make_fused_voice(tmp_path_factory.mktemp("fused") / "fused.safetensors"))
    new_tensors, new_metadata = to_features_scheme(tensors, metadata)
    path = save_voice(tmp_path_factory.mktemp("converted") / "voice.safetensors", new_tensors, new_metadata)
    return tensors, metadata, new_tensors, new_metadata, path


@pytest.mark.parametrize(("fused", "bare"), [("ˈiː", "i"), ("ian3", "ian"), ("ɪ", "ɪ"), ("ˌaɪ", "aɪ"), ("e5", "e")])
def test_bare_phoneme(fused, bare):
    assert bare_phoneme(fused) == bare


def test_rows_are_the_mean_of_the_fused_rows_and_the_rest_is_kept(converted):
    tensors, metadata, new_tensors, new_metadata, _ = converted
    old = metadata.symbols.to_list()
    for phoneme in ("i", "ian", "a"):
        sources = [index for index, symbol in enumerate(old) if symbol not in "_^$ " and bare_phoneme(symbol) == phoneme]
        assert len(sources) >= 2  # the voice has it stressed and unstressed, or in several tones
        expected = tensors[SYMBOL_TABLE][sources].float().mean(dim=0)
        row = new_tensors[SYMBOL_TABLE][new_metadata.symbols.id_of(phoneme)].float()
        assert torch.allclose(row, expected, atol=1e-6)
    assert not any(mark in symbol for symbol in new_metadata.symbols.to_list() for mark in "ˈˌː")
    assert len(new_metadata.symbols) < len(metadata.symbols)
    assert all(torch.equal(new_tensors[name], tensor) for name, tensor in tensors.items() if name != SYMBOL_TABLE)
    assert new_metadata.config.model.text_encoder.prosody_embeddings


def test_the_converted_voice_speaks_what_the_fused_one_lacked_without_stand_ins(converted, caplog):
    _, metadata, _, _, path = converted
    assert not any(symbol in metadata.symbols for symbol in FUSED_MISSING)  # the fused voice said these as stand-ins
    voice = Voice.load(path)
    with caplog.at_level(logging.WARNING):
        for sentence, language in (("Now I sound like me.", "en"), ("现在几点了？", "zh"), ("Das ist für dich.", "de")):
            assert voice.synthesize(sentence, language=language, seed=0).samples.size > 0
    assert "not one this voice learned" not in caplog.text


def test_a_features_voice_is_not_converted_again(converted):
    _, _, new_tensors, new_metadata, _ = converted
    with pytest.raises(FinetuneSetupError, match="already uses the features scheme"):
        to_features_scheme(new_tensors, new_metadata)
