"""The ``polyvox`` command: one typer app whose commands live in ``polyvox.commands``, one module each."""

from __future__ import annotations

import typer

from polyvox.cli_support import DEFAULT_VOICE, HELP_SETTINGS, OneLineUsageErrors
from polyvox.commands import COMMAND_MODULES

# DEFAULT_VOICE: importable from here as before.
__all__ = ["DEFAULT_VOICE", "app", "main"]

app = typer.Typer(
    help="polyvox: multilingual text-to-speech. Prepare data, train voices, speak.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    cls=OneLineUsageErrors,
    **HELP_SETTINGS,
)
for _module in COMMAND_MODULES:
    _module.register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
