"""One command layout: every ``polyvox`` command is defined in ``polyvox.commands``, one module each,
and ``polyvox --help`` lists them in the order it always did."""

from __future__ import annotations

import typer

from polyvox.cli import app


def _callbacks(command: object, words: tuple[str, ...] = ()) -> dict[str, object]:
    children = getattr(command, "commands", None)
    if children is None:
        return {" ".join(words): command.callback}
    found: dict[str, object] = {}
    for name, child in children.items():
        found.update(_callbacks(child, (*words, name)))
    return found


def test_every_command_lives_in_the_commands_package() -> None:
    callbacks = _callbacks(typer.main.get_command(app))
    assert {"say", "corpus", "import ljspeech", "import folder", "train", "doctor", "prepare"} <= set(callbacks)
    for words, callback in callbacks.items():
        assert callback.__module__.startswith("polyvox.commands."), f"polyvox {words} is defined in {callback.__module__}"


def test_the_help_lists_the_commands_in_their_order() -> None:
    names = list(typer.main.get_command(app).commands)
    assert names == [
        "say", "corpus", "train", "features", "doctor", "prepare", "evaluate", "export", "serve", "ui", "finetune", "import-voice",
        "distill", "import",
    ]
