"""Renamed modules keep working under their old names, with a DeprecationWarning (#22 item 4)."""

from __future__ import annotations

import importlib
import sys

import pytest


def test_polyvox_checkpoint_is_the_voice_file_module_with_a_warning() -> None:
    import polyvox.voice_file as voice_file

    sys.modules.pop("polyvox.checkpoint", None)
    with pytest.warns(DeprecationWarning, match="polyvox.voice_file"):
        old = importlib.import_module("polyvox.checkpoint")
    assert old is voice_file and old.load_voice_file is voice_file.load_voice_file


def test_no_module_of_polyvox_imports_the_old_name() -> None:
    import re
    from pathlib import Path

    import polyvox

    old_name = re.compile(r"polyvox\.checkpoint\b")
    package = Path(polyvox.__file__).parent
    users = [str(path.relative_to(package)) for path in package.rglob("*.py")
             if path.name != "checkpoint.py" and old_name.search(path.read_text(encoding="utf-8"))]
    assert not users


@pytest.mark.parametrize(("module", "old", "new"), [
    ("polyvox.evaluation.sources", "Reference", "Recording"),
    ("polyvox.evaluation.run", "select_references", "select_recordings"),
    ("polyvox.evaluation.listener", "REFERENCE_SYSTEM", "RECORDINGS_SYSTEM"),
])
def test_evaluation_names_of_the_ground_truth_forward_with_a_warning(module: str, old: str, new: str) -> None:
    # Evaluation calls the ground-truth audio a recording; "reference" is synthesis's timbre clip (#22 item 4).
    loaded = importlib.import_module(module)
    with pytest.warns(DeprecationWarning, match=new):
        assert getattr(loaded, old) is getattr(loaded, new)
    with pytest.raises(AttributeError):
        getattr(loaded, "no_such_name")


def test_renamed_fields_of_the_ground_truth_forward_with_a_warning() -> None:
    import numpy as np

    from polyvox.evaluation.alignment import AlignmentPath
    from polyvox.evaluation.run import Example

    path = AlignmentPath(np.arange(3), np.arange(3))
    with pytest.warns(DeprecationWarning, match="recording_frames"):
        assert path.reference_frames is path.recording_frames
    example = Example("a", "en", "text", np.zeros(4))
    with pytest.warns(DeprecationWarning, match="recording"):
        assert example.reference is example.recording


def test_evaluate_takes_the_former_references_option_with_a_warning(tmp_path) -> None:
    from typer.testing import CliRunner

    from polyvox.cli import app

    missing = tmp_path / "missing.jsonl"
    old = CliRunner().invoke(app, ["evaluate", "--references", str(missing), "--synthesized", str(tmp_path), "-o", str(tmp_path / "r")])
    new = CliRunner().invoke(app, ["evaluate", "--recordings", str(missing), "--synthesized", str(tmp_path), "-o", str(tmp_path / "r")])
    assert old.exit_code == new.exit_code == 1
    assert old.output == "warning: --references is deprecated; use --recordings (-r)\n" + new.output
    assert "manifest not found" in new.output
    both = CliRunner().invoke(app, ["evaluate", "-r", str(missing), "--references", str(missing), "-o", str(tmp_path / "r")])
    assert both.exit_code == 1 and "--recordings only" in both.output
    assert "--references" not in CliRunner().invoke(app, ["evaluate", "--help"]).output
