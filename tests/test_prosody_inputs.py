"""The features input scheme (#16): bare phonemes with stress, tone, pitch accent and length beside them,
any combination representable; fused-scheme voices read and speak exactly as before."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import torch

from polyvox.voice_file import VoiceMetadata, save_voice
from polyvox.config import TextEncoderConfig, preset
from polyvox.fingerprint import component_fingerprint
from polyvox.inference.voice import Voice
from polyvox.models.text_encoder import TextEncoder
from polyvox.models.vits import VitsGenerator
from polyvox.text import SymbolTable, TextFrontend, UnknownSymbolError, to_ids
from polyvox.text.prosody import ACCENTS, LENGTHS, PROSODY_SCHEME, prosody_id, split_symbol, with_features
from polyvox.text.rules import TextRules
from polyvox.text.token import Token

FUSED = preset("tiny", ("en", "zh")).replace(**{"model.text_encoder.prosody_embeddings": False})
FEATURES = preset("tiny", ("en", "zh"))


@pytest.mark.parametrize(
    ("symbol", "language", "expected"),
    [
        ("ˈiː", "en", ("i", "ˈ", "ː")),
        ("ˌuː", "en", ("u", "ˌ", "ː")),
        ("ɪ", "en", ("ɪ", "", "")),
        ("ˈaɪ", "en", ("aɪ", "ˈ", "")),
        ("yː", "de", ("y", "", "ː")),
        ("ian3", "zh", ("ian", "3", "")),
        ("e5", "zh", ("e", "5", "")),
        ("zh", "zh", ("zh", "", "")),
        ("ː", "en", ("ː", "", "")),  # a lone mark stays a symbol rather than vanish
    ],
)
def test_split_symbol(symbol, language, expected):
    assert split_symbol(symbol, language) == expected


def test_prosody_ids_are_distinct_for_every_accent_and_length():
    ids = {prosody_id(accent, length) for accent in ACCENTS for length in LENGTHS}
    assert ids == set(range(len(ACCENTS) * len(LENGTHS)))
    assert prosody_id("", "") == 0


def test_mandarin_initial_takes_its_syllable_tone():
    tokens = with_features([Token("x", "zh"), Token("ian4", "zh"), Token(" ", "zh"), Token("ian3", "zh")])
    assert [(t.symbol, t.accent) for t in tokens] == [("x", "4"), ("ian", "4"), (" ", ""), ("ian", "3")]


def test_japanese_pitch_accent_tells_homophones_apart():
    frontend = TextFrontend(["ja"])
    chopsticks, bridge = frontend.phonemize("箸", "ja"), frontend.phonemize("橋", "ja")
    assert [t.symbol for t in chopsticks] == [t.symbol for t in bridge]
    assert [t.accent for t in chopsticks] == ["H", "H", "L", "L"]  # ha'shi: high then low
    assert [t.accent for t in bridge] == ["L", "L", "H", "H"]  # hashi': low then high


def test_features_table_has_no_combinations():
    rules = TextRules(FEATURES, ("en", "zh"))
    table = rules.table_for([("The weather is sweet, see the tree.", "en"), ("现在几点了？你好。", "zh")])
    marked = [s for s in table.to_list() if any(mark in s for mark in "ˈˌːˑ") or s[-1:].isdigit()]
    assert marked == []


def test_unseen_stress_and_tone_combinations_speak_without_warning(caplog):
    rules = TextRules(FEATURES, ("en", "zh"))
    # "see" has a stressed long i, "happy" an unstressed short one; no sentence has the secondary-stressed "ˌiː".
    table = rules.table_for([("I see my happy cat.", "en"), ("Now I sound like you.", "en"), ("天", "zh"), ("好", "zh")])
    rules = TextRules(FEATURES, ("en", "zh"), table)
    with caplog.at_level(logging.WARNING):
        english = rules.encode("Now I sound like me.", "en")  # 'ˌiː' in "me"
        mandarin = rules.encode("天好", "zh")  # sandhi and other tones on known finals
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]
    assert len(set(english.prosody_ids)) > 2 and len(english.prosody_ids) == len(english.phoneme_ids)
    assert mandarin.prosody_ids.count(0) < len(mandarin.prosody_ids)


def test_fused_scheme_ids_are_the_ones_voices_had_before():
    frontend = TextFrontend(["en", "zh"])
    sentences = [("Now I sound like you.", "en"), ("你好，世界。", "zh")]
    table = SymbolTable.from_sequences([[t.symbol for t in frontend.phonemize(s, lang)] for s, lang in sentences])
    rules = TextRules(FUSED, ("en", "zh"), table)
    for sentence, language in sentences:
        before = to_ids(frontend.phonemize(sentence, language), table, True, {"en": 0, "zh": 1})
        encoded = rules.encode(sentence, language)
        assert (encoded.phoneme_ids, encoded.language_ids) == before
        assert set(encoded.prosody_ids) == {0}


def test_fused_voice_speaks_an_unseen_stress_as_its_nearest_variant(caplog):
    table = SymbolTable.base().extend(["n", "ˈaʊ", "m", "ˈiː", "i", "ian2", "j"])
    rules = TextRules(FUSED, ("en", "zh"), table)
    with caplog.at_level(logging.WARNING):
        stand_ins = rules.resolve_unseen([Token("ˌiː", "en"), Token("ian3", "zh")])
    assert [t.symbol for t in stand_ins] == ["ˈiː", "ian2"]
    assert "'ˌiː'" in caplog.text and "'ian3'" in caplog.text


def test_prepare_flags_only_sounds_with_no_stand_in():
    table = SymbolTable.base().extend(["n", "ˈiː", "ian2"])
    rules = TextRules(FUSED, ("en", "zh"), table)
    tokens = [Token("ˌiː", "en"), Token("ian3", "zh"), Token("ʁ", "en"), Token("n", "en"), Token("n̩", "en")]
    assert rules.unknown_sounds(tokens) == ["ʁ"]  # n̩ is spoken as its base letter


def test_an_allophone_the_voice_lacks_is_spoken_as_its_phoneme(caplog):
    rules = TextRules(FEATURES, ("en",), SymbolTable.base().extend(["b", "ʌ", "t", "n"]))
    with caplog.at_level(logging.WARNING):
        spoken = rules.resolve_unseen([Token("b", "en"), Token("ʌ", "en", "ˈ"), Token("ʔ", "en"), Token("n̩", "en")])
    assert [(t.symbol, t.accent) for t in spoken] == [("b", ""), ("ʌ", "ˈ"), ("t", ""), ("n", "")]
    assert "'ʔ' (en) is not one this voice learned; spoken as 't'" in caplog.text


def test_a_sound_outside_the_voice_is_named_with_advice_a_command_line_user_can_follow():
    rules = TextRules(FEATURES, ("en",), SymbolTable.base().extend(["a", "b"]))
    with pytest.raises(UnknownSymbolError) as caught:
        rules.resolve_unseen([Token("a", "en"), Token("ʁ", "en")])
    message = str(caught.value)
    assert "'ʁ' (en)" in message and "polyvox finetune --from" in message and "symbols.extend" not in message


def test_text_encoder_reads_prosody_only_in_the_features_scheme():
    config = TextEncoderConfig(hidden_channels=16, filter_channels=32, n_heads=2, n_layers=1, prosody_embeddings=True)
    encoder = TextEncoder(10, 1, 8, config).eval()
    assert not encoder.accent_embedding.weight.any()  # starts as a fused encoder would: trained from zero
    torch.nn.init.normal_(encoder.accent_embedding.weight)
    torch.nn.init.normal_(encoder.length_embedding.weight)
    ids, languages, lengths = torch.tensor([[4, 5, 6]]), torch.zeros(1, 3, dtype=torch.long), torch.tensor([3])
    unmarked = encoder(ids, languages, lengths).hidden
    assert torch.equal(unmarked, encoder(ids, languages, lengths, prosody_ids=torch.zeros(1, 3, dtype=torch.long)).hidden)
    stressed = encoder(ids, languages, lengths, prosody_ids=torch.tensor([[prosody_id("ˈ", "ː"), 0, 0]])).hidden
    assert not torch.allclose(unmarked, stressed)
    fused = TextEncoder(10, 1, 8, TextEncoderConfig(hidden_channels=16, filter_channels=32, n_heads=2, n_layers=1))
    assert not [name for name in fused.state_dict() if "accent" in name or "length_embedding" in name]


def test_features_scheme_is_in_the_fingerprint():
    table = SymbolTable.base().extend(["a"])
    fused = component_fingerprint(VoiceMetadata(FUSED, table, ("en", "zh"), ("s",), {}))
    features = component_fingerprint(VoiceMetadata(FEATURES, table, ("en", "zh"), ("s",), {}))
    assert "text.prosody_scheme" not in fused and "model.text_encoder.prosody_embeddings" not in fused
    assert features["text.prosody_scheme"] == PROSODY_SCHEME and features["model.text_encoder.prosody_embeddings"] is True


def test_a_features_voice_speaks_stress_it_never_saw(tmp_path: Path):
    config = preset("tiny", ("en",))
    table = TextRules(config, ("en",)).table_for([("I see my happy cat.", "en"), ("Now I sound like you.", "en")])
    metadata = VoiceMetadata(config=config, symbols=table, languages=("en",), speakers=("a",), info={})
    torch.manual_seed(0)
    generator = VitsGenerator(config.model, len(table), 1, config.audio.n_mels, config.audio.hop_length)
    voice = Voice.load(save_voice(tmp_path / "voice.safetensors", generator.state_dict(), metadata))
    result = voice.synthesize("Now I sound like me.", language="en", seed=1)
    assert result.samples.size > 0 and torch.isfinite(torch.from_numpy(result.samples)).all()
