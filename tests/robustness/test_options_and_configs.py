"""#24 items 15, 16 and 17: config values of the wrong type, pickled or truncated checkpoints given to
doctor, and say options outside the server's ranges are each one line, never a traceback."""

from __future__ import annotations

import os

import pytest
import torch
from typer.testing import CliRunner

from polyvox.cli import app
from polyvox.config import ConfigError, preset
from robustness_helpers import one_error_line


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("training.batch_size", "abc", "config field training.batch_size must be an integer, got 'abc' (str)"),
        ("audio.sample_rate", 22050.5, "config field audio.sample_rate must be an integer"),
        ("training.learning_rate", True, "config field training.learning_rate must be a number"),
        ("model.decoder.upsample_rates", [8, "x"], "config field model.decoder.upsample_rates must be a list of integers"),
        ("text.languages", "en", "config field text.languages must be a list of strings"),
        ("training.precision", "fp8", "must be one of 'auto', '32', 'bf16-mixed'"),
    ],
)
def test_a_config_value_of_the_wrong_type_names_its_field(key, value, message):
    with pytest.raises(ConfigError, match=None) as raised:
        preset("tiny").replace(**{key: value})
    assert message in str(raised.value)


def test_a_literal_given_as_a_number_on_the_command_line_is_read_as_its_name():
    assert preset("tiny").replace(**{"model.decoder.resblock_type": 2}).model.decoder.resblock_type == "2"


def test_train_set_with_the_wrong_type_is_one_line(small_corpus, tmp_path):
    result = CliRunner().invoke(
        app, ["train", "-d", str(small_corpus[0] / "manifest.jsonl"), "-o", str(tmp_path / "run"), "--set", "training.batch_size=abc"]
    )
    assert one_error_line(result) == "error: config field training.batch_size must be an integer, got 'abc' (str)"


class _Planted:
    def __reduce__(self):
        return (os.getpid, ())


def test_doctor_refuses_a_pickled_checkpoint_and_names_a_truncated_one(tmp_path):
    pickled = tmp_path / "planted.ckpt"
    torch.save({"polyvox": _Planted()}, pickled)
    assert "holds objects other than tensors" in one_error_line(CliRunner().invoke(app, ["doctor", str(pickled)]))
    truncated = tmp_path / "truncated.ckpt"
    torch.save({"state_dict": {"x": torch.zeros(1000)}}, truncated)
    truncated.write_bytes(truncated.read_bytes()[:300])
    line = one_error_line(CliRunner().invoke(app, ["doctor", str(truncated)]))
    assert "is not a readable training checkpoint" in line and "may be truncated" in line


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--speed", "1e9", "--speed must be between 0.25 and 4, got 1e+09"),
        ("--speed", "inf", "--speed must be between 0.25 and 4, got inf"),
        ("--noise-scale", "1e30", "--noise-scale must be between 0 and 2, got 1e+30"),
        ("--noise-scale-duration", "nan", "--noise-scale-duration must be between 0 and 2, got nan"),
        ("--seed", str(2**70), f"--seed must be between 0 and {2**63 - 1}, got {2**70}"),
        ("--seed", "-1", f"--seed must be between 0 and {2**63 - 1}, got -1"),
    ],
)
def test_say_options_outside_the_servers_ranges_are_refused(tmp_path, option, value, message):
    output = tmp_path / "out.wav"
    result = CliRunner().invoke(app, ["say", "Hello.", option, value, "-o", str(output)])
    assert one_error_line(result) == f"error: {message}"
    assert not output.exists()
