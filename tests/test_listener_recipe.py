"""recipes/listener_voice.py: ``--resume`` alone goes on with the start its run was begun from."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

RECIPE = Path(__file__).resolve().parent.parent / "recipes" / "listener_voice.py"


def _recipe():
    spec = importlib.util.spec_from_file_location("listener_voice", RECIPE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_run_begun_from_a_given_start_resumes_from_it(tmp_path: Path) -> None:
    recipe = _recipe()
    assert recipe.given_start(tmp_path) is None  # no run yet
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "load_report.json").write_text(json.dumps({"source": "weights/candidate.safetensors", "entries": []}))
    assert recipe.given_start(tmp_path) == Path("weights/candidate.safetensors")
    # A run begun from the converted shipped voice keeps it as work/start.safetensors: that is its start.
    (tmp_path / "start.safetensors").write_bytes(b"")
    assert recipe.given_start(tmp_path) is None
