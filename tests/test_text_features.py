"""Text features (#20 item 3): a local BERT's per-word features aligned to phonemes, fingerprinted, refused when
missing or different, on a tiny BERT written by the test and tiny voices."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors import safe_open
from typer.testing import CliRunner

from polyvox.cli import app
from polyvox.config import ConfigError, TextEncoderConfig, preset
from polyvox.fingerprint import compare_fingerprints, component_fingerprint
from polyvox.inference.result import SynthesisError
from polyvox.inference.voice import Voice
from polyvox.models.text_encoder import TextEncoder
from polyvox.text.rules import TextRules
from polyvox.text.symbols import SymbolTable
from polyvox.text.text_features import (
    TextFeatureExtractor, TextFeaturesError, model_identity, phoneme_words, sentence_units, text_feature_overrides, token_units,
    unit_sizes,
)
from polyvox.train.run import train
from polyvox.voice_file import VoiceMetadata
from text_feature_models import write_tiny_bert

SENTENCE = "Hello there, the cat sat on the mat."


@pytest.fixture(scope="module")
def bert(tmp_path_factory) -> Path:
    return write_tiny_bert(tmp_path_factory.mktemp("models") / "tiny-bert", seed=0)


@pytest.fixture(scope="module")
def other_bert(tmp_path_factory) -> Path:
    """The same name, size and vocabulary, other weights."""
    return write_tiny_bert(tmp_path_factory.mktemp("other") / "tiny-bert", seed=1)


def rules_for(sentences: list[tuple[str, str]]) -> TextRules:
    config = preset("tiny", tuple(dict.fromkeys(language for _, language in sentences)))
    rules = TextRules(config, config.text.languages)
    return TextRules(config, config.text.languages, rules.table_for(sentences), rules.frontend)


def test_each_phoneme_gets_its_words_features(bert):
    sentence = "Hello there, the cat sat."
    rules = rules_for([(sentence, "en")])
    tokens = rules.tokens(sentence, "en")
    extractor = TextFeatureExtractor(bert)
    features = extractor.sentence_features(sentence, "en", tokens, rules)
    units = sentence_units(sentence, "en")
    assert units == ["Hello", "there", "the", "cat", "sat"] and len(phoneme_words(tokens)) == len(units)
    assert features.unit_rows.shape == (len(units), 16)
    # Each word's row is the mean of its subwords' last-layer states, as the model computes them.
    from transformers import AutoModel, AutoTokenizer

    tokenizer, model = AutoTokenizer.from_pretrained(bert), AutoModel.from_pretrained(bert)
    encoded = tokenizer(units, is_split_into_words=True, return_tensors="pt")
    hidden = model(**encoded).last_hidden_state[0].detach().numpy()
    word_ids = encoded.word_ids(0)
    for unit in range(len(units)):
        expected = hidden[[position for position, word in enumerate(word_ids) if word == unit]].mean(axis=0)
        np.testing.assert_allclose(features.unit_rows[unit], expected, atol=1e-5)
    # Every id of a word's phonemes (and the blank after each) carries that word's row.
    encoded = rules.encode_tokens(tokens)
    assert len(features.position_units) == len(encoded.phoneme_ids)
    per_token = token_units(tokens, [len(unit) for unit in units], unspaced=False)
    rows = features.per_position()
    symbol_ids = rules.symbols.encode([token.symbol for token in tokens])
    for index, unit in enumerate(per_token):
        position = 2 * index + 3  # the polyvox layout with blanks: _ ^ _ t0 _ t1 _ ... $ _
        assert encoded.phoneme_ids[position] == symbol_ids[index]
        np.testing.assert_array_equal(rows[position], features.unit_rows[unit])
        np.testing.assert_array_equal(rows[position + 1], features.unit_rows[unit])
    # "cat", the fourth word, is the three phonemes between the third and fourth word separators.
    separators = [index for index, token in enumerate(tokens) if token.symbol == " "]
    assert [per_token[index] for index in range(separators[2] + 1, separators[3])] == [3, 3, 3]
    assert sorted(set(per_token)) == list(range(len(units)))
    assert list(features.position_units) == sorted(features.position_units)  # monotone over the ids


def test_words_the_phonemizer_joins_are_shared_out_and_cjk_goes_by_character():
    # espeak-ng reads "on the" as one word (7 phoneme words, 8 text words): its sounds go to "on" and "the", and
    # every other word keeps its own phonemes.
    rules = rules_for([(SENTENCE, "en")])
    tokens = rules.tokens(SENTENCE, "en")
    units = sentence_units(SENTENCE, "en")
    assert len(phoneme_words(tokens)) == 7 and len(units) == 8
    aligned = token_units(tokens, unit_sizes([(unit, "en") for unit in units], rules), unspaced=False)
    spoken = ["".join(token.symbol for token, unit in zip(tokens, aligned) if unit == index and token.symbol.strip(" ,."))
              for index in range(len(units))]
    assert spoken == ["həloʊ", "ðɛɹ", "ðə", "kæt", "sæt", "ɔn", "ðə", "mæt"]
    # Mandarin: two phonemes a syllable here (initial and toned final), each character gets its own.
    rules = rules_for([("你好，世界。", "zh")])
    tokens = rules.tokens("你好，世界。", "zh")
    units = sentence_units("你好，世界。", "zh")
    assert units == ["你", "好", "世", "界"]
    aligned = token_units(tokens, [1] * len(units), unspaced=True)
    spoken_zh = [(token.symbol, unit) for token, unit in zip(tokens, aligned) if token.symbol not in {" ", ",", "."}]
    assert spoken_zh == [("n", 0), ("i", 0), ("h", 1), ("ao", 1), ("sh", 2), ("i", 2), ("j", 3), ("ie", 3)]


def test_zero_initialised_projection_leaves_the_encoder_unchanged():
    config = TextEncoderConfig(hidden_channels=16, filter_channels=32, n_heads=2, n_layers=2, language_channels=4)
    torch.manual_seed(0)
    plain = TextEncoder(12, 1, 8, config).eval()
    featured = TextEncoder(12, 1, 8, config, text_feature_channels=16).eval()
    missing, unexpected = featured.load_state_dict(plain.state_dict(), strict=False)
    assert sorted(missing) == ["text_feature_projection.bias", "text_feature_projection.weight"] and not unexpected
    ids = torch.randint(3, 12, (2, 9))
    arguments = (ids, torch.zeros_like(ids), torch.tensor([9, 6]))
    features = torch.randn(2, 9, 16)
    expected = plain(*arguments)
    got = featured(*arguments, text_features=features)
    assert torch.equal(got.hidden, expected.hidden) and torch.equal(got.prior_means, expected.prior_means)
    # Once it has learned anything, the features change the output (so the test above could fail).
    with torch.no_grad():
        featured.text_feature_projection.weight.fill_(0.1)
    assert not torch.equal(featured(*arguments, text_features=features).hidden, expected.hidden)


def test_fingerprint_names_the_model_and_changes_with_its_weights(bert, other_bert):
    symbols = SymbolTable.base().extend(["h", "ə"])
    plain = VoiceMetadata(preset("tiny"), symbols, ("en",), ("en_a",), {})
    assert component_fingerprint(plain)["text_features.name"] == "none"
    assert "model.text_features.layer" not in component_fingerprint(plain)

    def with_model(folder: Path) -> dict:
        values = dict(override.split("=", 1) for override in text_feature_overrides(folder))
        config = preset("tiny").replace(**{key: json.loads(value) for key, value in values.items()})
        return component_fingerprint(VoiceMetadata(config, symbols, ("en",), ("en_a",), {}))

    one, two = with_model(bert), with_model(other_bert)
    identity = model_identity(bert)
    assert (one["text_features.name"], one["text_features.dim"], one["text_features.weights_sha256"]) == (
        "tiny-bert", 16, identity.weights_sha256,
    )
    differences = compare_fingerprints(one, two)
    assert [difference.field for difference in differences] == ["text_features.weights_sha256"]


def test_a_config_with_text_features_but_no_model_is_refused():
    with pytest.raises(ConfigError, match="weights_sha256 must be a sha256"):
        preset("tiny").replace(**{"model.text_features.enabled": True, "model.text_features.name": "x", "model.text_features.dim": 4})


def test_cached_rows_are_keyed_by_the_model(bert, other_bert, tmp_path):
    rules = rules_for([(SENTENCE, "en")])
    tokens = rules.tokens(SENTENCE, "en")
    first = TextFeatureExtractor(bert).cached_features(SENTENCE, "en", tokens, rules, tmp_path)
    again = TextFeatureExtractor(bert).cached_features(SENTENCE, "en", tokens, rules, tmp_path)
    other = TextFeatureExtractor(other_bert).cached_features(SENTENCE, "en", tokens, rules, tmp_path)
    assert len(list(tmp_path.rglob("*.npy"))) == 2  # one file per model, read back the second time
    np.testing.assert_array_equal(first.unit_rows, again.unit_rows)
    assert not np.allclose(first.unit_rows, other.unit_rows)


@pytest.fixture(scope="module")
def featured_voice(small_corpus, bert, tmp_path_factory) -> Path:
    corpus, _ = small_corpus
    folder = tmp_path_factory.mktemp("featured")
    values = dict(override.split("=", 1) for override in text_feature_overrides(bert))
    config = preset("tiny").replace(**{
        **{key: json.loads(value) for key, value in values.items()},
        "training.max_steps": 12, "training.checkpoint_every_steps": 12, "training.audio_samples_every_steps": 1000,
        "training.learning_rate": 1e-2, "training.precision": "32",
    })
    torch.manual_seed(0)
    return train(corpus / "manifest.jsonl", folder / "run", config, progress=False).voice_path


def test_a_voice_trained_with_text_features_records_its_model_and_speaks_with_it(featured_voice, bert):
    with safe_open(str(featured_voice), framework="pt") as handle:
        recorded = json.loads(handle.metadata()["fingerprint"])
        projection = handle.get_tensor("text_encoder.text_feature_projection.weight")
    assert projection.shape == (16, 16)
    assert recorded["text_features.weights_sha256"] == model_identity(bert).weights_sha256
    voice = Voice.load(featured_voice, text_features=bert)
    first = voice.synthesize(SENTENCE, language="en", seed=3).samples
    again = Voice.load(featured_voice, text_features=bert).synthesize(SENTENCE, language="en", seed=3).samples
    assert np.isfinite(first).all() and first.size > 0
    np.testing.assert_array_equal(first, again)
    encoded = voice.encode(SENTENCE, "en")
    assert encoded.text_features.shape == (len(encoded.phoneme_ids), 16)
    with pytest.raises(SynthesisError, match="give it text, not phonemes"):
        voice.synthesize("", phonemes="h ə l oʊ", language="en")


def test_training_moves_the_text_feature_projection(featured_voice, bert):
    with safe_open(str(featured_voice), framework="pt") as handle:
        projection = handle.get_tensor("text_encoder.text_feature_projection.weight")
    assert projection.abs().sum() > 0
    # So the sentence's features reach the prior: without them the means differ.
    voice = Voice.load(featured_voice, text_features=bert)
    ids, languages, prosody = encoded = voice.encode(SENTENCE, "en")
    arguments = (torch.tensor([ids]), torch.tensor([languages]), torch.tensor([len(ids)]), torch.tensor([0]))
    features = torch.from_numpy(encoded.text_features)[None]
    with_features = voice.generator.encode_prior(*arguments, durations=torch.ones(1, len(ids)), text_features=features)
    without = voice.generator.encode_prior(*arguments, durations=torch.ones(1, len(ids)))
    assert not torch.allclose(with_features.means, without.means)


def say(voice: Path, output: Path, *extra: str):
    return CliRunner().invoke(app, ["say", SENTENCE, "--lang", "en", "--voice", str(voice), "-o", str(output), *extra])


def test_say_refuses_a_missing_or_different_model_in_one_line(featured_voice, bert, other_bert, tmp_path):
    output = tmp_path / "out.wav"
    missing = say(featured_voice, output)
    assert missing.exit_code == 1 and not output.exists()
    assert missing.output.count("\n") == 1 and "needs the text features of 'tiny-bert' (dim 16" in missing.output
    assert "--text-features FOLDER" in missing.output
    different = say(featured_voice, output, "--text-features", str(other_bert))
    assert different.exit_code == 1 and not output.exists()
    assert different.output.count("\n") == 1 and f"but {other_bert} holds 'tiny-bert'" in different.output
    spoken = say(featured_voice, output, "--text-features", str(bert))
    assert spoken.exit_code == 0, spoken.output
    assert output.exists()


def test_export_and_doctor_know_the_model(featured_voice, bert, other_bert, tmp_path):
    # The export needs no model folder; its json names the model (tests/test_text_features_onnx.py speaks it).
    exported = CliRunner().invoke(app, ["export", str(featured_voice), "-o", str(tmp_path / "voice.onnx")])
    assert exported.exit_code == 0, exported.output
    document = json.loads((tmp_path / "voice.onnx.json").read_text())
    assert document["text_features"]["weights_sha256"] == model_identity(bert).weights_sha256
    same = CliRunner().invoke(app, ["doctor", str(featured_voice), "--text-features", str(bert)])
    assert same.exit_code == 0, same.output
    assert "text features: 'tiny-bert' (dim 16" in same.output
    other = CliRunner().invoke(app, ["doctor", str(featured_voice), "--text-features", str(other_bert)])
    assert other.exit_code == 1 and "text_features.weights_sha256" in other.output


def test_a_model_folder_that_is_not_one_is_a_one_line_error(tmp_path):
    with pytest.raises(TextFeaturesError, match="does not exist"):
        model_identity(tmp_path / "absent")
    (tmp_path / "config.json").write_text('{"hidden_size": 8}')
    with pytest.raises(TextFeaturesError, match="no weight file"):
        model_identity(tmp_path)


def test_the_server_speaks_with_the_folder_it_was_started_with(featured_voice, bert, tmp_path):
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from polyvox.server import ServerSettings, create_app

    body = {"model": "tts-1", "input": SENTENCE, "voice": "default", "response_format": "wav", "seed": 1}
    for folder in (bert, None):
        settings = ServerSettings(default_voice=featured_voice, voices_dir=None, openai_voice=None, text_features=folder)
        with TestClient(create_app(settings)) as client:
            response = client.post("/v1/audio/speech", json=body)
        if folder is not None:
            assert response.status_code == 200 and response.headers["content-type"].startswith("audio/wav"), response.text
        else:
            assert response.status_code >= 400 and "Traceback" not in response.text
            message = response.json()["error"]["message"]
            assert "needs the text features of 'tiny-bert'" in message and "polyvox serve --text-features FOLDER" in message


def test_train_and_finetune_refuse_a_folder_that_is_not_a_model_in_one_line(small_corpus, tmp_path):
    corpus, _ = small_corpus
    for command in (["train", "-o", str(tmp_path / "run")], ["finetune", "--run-dir", str(tmp_path / "tune")]):
        result = CliRunner().invoke(app, [*command, "--data", str(corpus / "manifest.jsonl"), "--text-features", str(tmp_path / "absent")])
        assert result.exit_code == 1 and result.output.count("\n") == 1, result.output
        assert "text-feature model folder" in result.output and "does not exist" in result.output
    assert not (tmp_path / "run").exists() and not (tmp_path / "tune").exists()


def test_the_servers_second_replica_of_a_voice_keeps_its_model(featured_voice, bert):
    from polyvox.server.voice_cache import LoadedVoice

    loaded = LoadedVoice(Voice.load(featured_voice, text_features=bert), max_replicas=2)
    with loaded.borrow() as first, loaded.borrow() as second:
        assert first is not second
        np.testing.assert_array_equal(
            first.synthesize(SENTENCE, language="en", seed=1).samples, second.synthesize(SENTENCE, language="en", seed=1).samples
        )


def test_a_layer_the_model_lacks_is_a_one_line_error(bert):
    with pytest.raises(TextFeaturesError, match=r"layer 3 is not a layer of .* \(it has 3 hidden states: -3 \.\. 2\)"):
        TextFeatureExtractor(bert, layer=3).unit_features(["hello"])
    assert TextFeatureExtractor(bert, layer=-3).unit_features(["hello"]).shape == (1, 16)
