"""The help and usage errors of every command: whole option names at 80 columns, no ``<bool>``,
a quieter setting beside every verbose default, and usage errors as one ``error:`` line."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from polyvox.cli import app


def _commands() -> list[tuple[list[str], object]]:
    """Every command as the words that call it, with its click command."""
    found = []

    def walk(words: list[str], command: object) -> None:
        children = getattr(command, "commands", None)
        if children is None:
            found.append((words, command))
            return
        for name, child in children.items():
            walk([*words, name], child)

    walk([], typer.main.get_command(app))
    return found


COMMANDS = _commands()


def _help(words: list[str]) -> str:
    result = CliRunner().invoke(app, [*words, "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0, result.output
    return result.output


@pytest.mark.parametrize(("words", "command"), COMMANDS, ids=[" ".join(words) for words, _ in COMMANDS])
def test_help_names_every_option_whole_and_no_bool_metavar(words, command):
    text = _help(words)
    assert "<bool>" not in text and "…" not in text
    for parameter in command.params:
        if getattr(parameter, "hidden", False):  # a deprecated alias (evaluate --references) stays out of the help
            continue
        for name in (*parameter.opts, *parameter.secondary_opts):
            if name.startswith("--"):
                assert name in text, f"{name} is not whole in the help of polyvox {' '.join(words)}"
    assert all(len(line) <= 80 for line in text.splitlines())


@pytest.mark.parametrize(("words", "command"), COMMANDS, ids=[" ".join(words) for words, _ in COMMANDS])
def test_a_verbose_switch_has_a_quiet_one(words, command):
    verbose = [parameter for parameter in command.params if "--verbose" in parameter.opts]
    if verbose:
        assert "--quiet" in verbose[0].secondary_opts, f"polyvox {' '.join(words)} --verbose has no --quiet"


def test_train_is_quiet_on_request():
    assert "-q, --quiet" in _help(["train"]) and "[default: verbose]" in _help(["train"])


@pytest.mark.parametrize(
    ("arguments", "fragment"),
    [
        (["train"], "error: missing option '--data'"),
        (["train", "-d", "m.jsonl", "-o", "run", "--max-steps", "many"], "error: invalid value for '--max-steps'"),
        (["trian"], "error: no such command 'trian'"),
        (["--bogus"], "error: no such option: --bogus"),
        (["import", "folder"], "error: missing argument"),
    ],
)
def test_usage_errors_are_one_error_line(arguments, fragment):
    result = CliRunner().invoke(app, arguments)
    lines = [line for line in result.output.strip().splitlines() if line]
    assert result.exit_code == 2, result.output
    assert len(lines) == 1 and lines[0].startswith(fragment) and "--help" in lines[0], result.output
