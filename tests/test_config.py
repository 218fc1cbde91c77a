import pytest

from polyvox.config import ConfigError, DecoderConfig, VoiceConfig, preset
from polyvox.config_files import load_config


@pytest.mark.parametrize("name", ["tiny", "small", "medium"])
def test_presets_round_trip_through_json(name):
    config = preset(name, ("en", "zh"), n_speakers=3)
    assert VoiceConfig.from_json(config.to_json()) == config


def test_decoder_upsampling_must_equal_hop_length():
    with pytest.raises(ConfigError, match="hop_length is 256"):
        preset("tiny").replace(**{"model.decoder.upsample_rates": [8, 8, 2]})


def test_istft_decoder_counts_its_hop_in_the_upsampling():
    decoder = DecoderConfig(type="istft", upsample_rates=(8, 8), upsample_kernel_sizes=(16, 16), istft_hop=4)
    assert decoder.total_upsampling == 256


def test_mismatched_list_lengths_are_rejected():
    with pytest.raises(ConfigError, match="same length"):
        DecoderConfig(upsample_rates=(8, 8, 4), upsample_kernel_sizes=(16, 16))


def test_unknown_override_names_the_known_keys():
    with pytest.raises(ConfigError, match="known here: .*batch_size"):
        preset("tiny").replace(**{"training.batchsize": 8})


def test_config_file_and_overrides(tmp_path):
    path = tmp_path / "voice.toml"
    path.write_text('[training]\nbatch_size = 3\n[model.decoder]\ntype = "istft"\nupsample_rates = [8, 8]\n'
                    'upsample_kernel_sizes = [16, 16]\nistft_hop = 4\n')
    config = load_config(path, "tiny", ["training.learning_rate=1e-3"], max_steps=7)
    assert config.training.batch_size == 3
    assert config.training.learning_rate == 1e-3
    assert config.training.max_steps == 7
    assert config.model.decoder.type == "istft"
    assert config.model.text_encoder == preset("tiny").model.text_encoder


def test_broken_config_file_is_reported(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    with pytest.raises(ConfigError, match="not valid JSON"):
        load_config(path, "tiny", [], None)
