"""One error family: every user-facing error is a ``PolyvoxError``, which the CLI prints as one line
(exit 1, no traceback, nothing half-written) and the server and the UI answer once."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

import polyvox
from polyvox.cli import app
from polyvox.cli_support import run
from polyvox.errors import PolyvoxError

SOURCE = Path(polyvox.__file__).parent
# The HTTP answer itself (status, code, field), raised inside the server and turned into JSON there; the base.
NOT_FOR_THE_USER = {"ApiError", "PolyvoxError"}


def _error_classes() -> list[tuple[str, str]]:
    """(module, class) of every class named ...Error defined in polyvox's source."""
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        module = ".".join(path.relative_to(SOURCE.parent).with_suffix("").parts)
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.ClassDef) and node.name.endswith("Error") and node.name not in NOT_FOR_THE_USER:
                found.append((module, node.name))
    return found


ERROR_CLASSES = _error_classes()


@pytest.mark.parametrize(("module", "name"), ERROR_CLASSES, ids=[f"{module}.{name}" for module, name in ERROR_CLASSES])
def test_every_error_is_a_polyvox_error_and_keeps_its_builtin_base(module: str, name: str) -> None:
    error = getattr(importlib.import_module(module), name)
    assert issubclass(error, PolyvoxError)
    assert issubclass(error, (ValueError, RuntimeError)), "older `except ValueError` clauses must still catch it"


def test_the_family_is_found() -> None:
    names = {name for _, name in ERROR_CLASSES}
    assert {"SynthesisError", "EspeakError", "CorpusError", "ThreadsError", "VoiceFileError", "TextError"} <= names


def one_error_line(result) -> str:
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    return lines[0]


def test_the_cli_prints_any_polyvox_error_as_one_line() -> None:
    def action() -> None:
        raise PolyvoxError("what went wrong; what to do")

    import typer

    probe = typer.Typer()
    probe.command()(lambda: run(action))
    assert one_error_line(CliRunner().invoke(probe, [])) == "error: what went wrong; what to do"


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        (["--languages", "xx"], "no corpus generator for language(s) ['xx']"),
        (["--languages", "en", "--speakers", "99", "--utterances", "1"], "speakers_per_language must be in 1..84, got 99"),
        (["--languages", ","], "give at least one language"),
    ],
    ids=["unknown language", "too many speakers", "no language"],
)
def test_a_bad_corpus_request_is_one_line_and_writes_nothing(tmp_path: Path, options: list[str], fragment: str) -> None:
    output = tmp_path / "corpus"
    assert fragment in one_error_line(CliRunner().invoke(app, ["corpus", str(output), *options]))
    assert not output.exists()


def test_an_espeak_failure_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import polyvox.data.corpus
    from polyvox.data.corpus.espeak_engine import EspeakError

    def fails(*_args: object, **_kwargs: object) -> None:
        raise EspeakError("espeak-ng accepts none of the voices ['xx']; list them with `espeak-ng --voices`")

    monkeypatch.setattr(polyvox.data.corpus, "generate_corpus", fails)
    line = one_error_line(CliRunner().invoke(app, ["corpus", str(tmp_path / "corpus"), "--languages", "en"]))
    assert "espeak-ng accepts none of the voices" in line


def test_train_on_a_missing_manifest_leaves_no_run_folder(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    line = one_error_line(CliRunner().invoke(app, ["train", "-d", str(tmp_path / "missing.jsonl"), "-o", str(run_dir), "-q"]))
    assert "manifest not found" in line
    assert not run_dir.exists()
