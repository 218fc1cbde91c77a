"""``polyvox evaluate`` and ``polyvox ui`` take ``--text-features`` as ``say`` does: a voice trained with text features
speaks with its model folder, and is refused in one line (no report, no page) without it or with another model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile
from test_text_features_onnx import SENTENCE, featured_voice_file
from text_feature_models import write_tiny_bert
from tiny_voices import SPEAKERS
from typer.testing import CliRunner

from polyvox.cli import app
from polyvox.data.manifest import Utterance, write_manifest
from polyvox.inference.batch import one_torch_thread
from polyvox.text.text_features import TextFeaturesError

RATE = 22050


@pytest.fixture(scope="module")
def setup(tmp_path_factory) -> Iterator[tuple[Path, Path, Path, Path]]:
    """The voice, its model, a model of the same name with other weights, and a manifest of one English recording."""
    folder = tmp_path_factory.mktemp("featured_cli")
    bert = write_tiny_bert(folder / "models" / "tiny-bert", seed=0)
    other = write_tiny_bert(folder / "other" / "tiny-bert", seed=1)
    with one_torch_thread():
        voice = featured_voice_file(folder / "featured.safetensors", bert)
    seconds = 1.2
    times = np.arange(int(seconds * RATE)) / RATE
    soundfile.write(str(folder / "clip.wav"), (0.2 * np.sin(2 * np.pi * 140 * times)).astype(np.float32), RATE)
    manifest = folder / "manifest.jsonl"
    write_manifest(manifest, [Utterance(str(folder / "clip.wav"), SENTENCE, SPEAKERS[0], "en", seconds)])
    yield voice, bert, other, manifest


def one_line_error(result, *fragments: str) -> None:
    assert result.exit_code == 1 and result.output.count("\n") == 1, result.output
    for fragment in fragments:
        assert fragment in result.output, result.output


def test_evaluate_speaks_with_the_model_and_refuses_another(setup, tmp_path):
    voice, bert, other, manifest = setup

    def evaluate(report: Path, *extra: str):
        return CliRunner().invoke(app, ["evaluate", "-r", str(manifest), "--voice", str(voice), "-o", str(report), "--examples", "0", *extra])

    missing = evaluate(tmp_path / "missing")
    one_line_error(missing, "needs the text features of 'tiny-bert' (dim 16", "polyvox evaluate --text-features FOLDER")
    different = evaluate(tmp_path / "different", "--text-features", str(other))
    one_line_error(different, f"but {other} holds 'tiny-bert'")
    assert not (tmp_path / "missing").exists() and not (tmp_path / "different").exists()
    scored = evaluate(tmp_path / "scored", "--text-features", str(bert), "--baseline", "untrained", "--baseline", "copy")
    assert scored.exit_code == 0, scored.output
    assert (tmp_path / "scored" / "report.json").is_file()


def test_ui_refuses_a_missing_or_other_model_in_one_line(setup, tmp_path):
    voice, _, other, _ = setup

    def ui(*extra: str):
        return CliRunner().invoke(app, ["ui", "--default-voice", str(voice), "--port", "1", *extra])

    one_line_error(ui(), "needs the text features of 'tiny-bert' (dim 16", "polyvox ui --text-features FOLDER")
    one_line_error(ui("--text-features", str(other)), f"but {other} holds 'tiny-bert'")
    one_line_error(ui("--text-features", str(tmp_path / "absent")), "is not a folder")


def test_the_ui_speaks_with_its_model_and_names_its_option(setup):
    from polyvox.ui.voices import UiVoices

    voice, bert, other, _ = setup
    with one_torch_thread():
        rate, samples = UiVoices(voice, None, text_features=bert).speak(SENTENCE, "default", "en", "auto", 1.0, 0.0, seed=1)
        assert rate == RATE and samples.size > 0
        # A voice picked in the page (not checked at start) is refused when first spoken, naming the UI's option.
        with pytest.raises(TextFeaturesError, match="polyvox ui --text-features FOLDER"):
            UiVoices(voice, None).speak(SENTENCE, "default", "en", "auto", 1.0, 0.0)
