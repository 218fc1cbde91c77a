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
