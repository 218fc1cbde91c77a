"""Shared pieces of the ``polyvox`` commands: user-facing errors as one line, logging set-up."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, Optional

import typer
from typer.core import TyperGroup

from polyvox.errors import PolyvoxError

try:  # typer 0.2x carries its own copy of click
    from typer._click.exceptions import UsageError
except ImportError:  # older typer runs on click itself
    from click.exceptions import UsageError

if TYPE_CHECKING:
    from polyvox.threads import ThreadPlan

DEFAULT_VOICE = Path(__file__).parent / "voices" / "default.safetensors"

# Every command's log switch: INFO lines (progress, what was loaded) or warnings only.
Verbose = Annotated[bool, typer.Option("--verbose/--quiet", "-v/-q", help="Log each stage (INFO), or only warnings.")]
# Every computing command's CPU threads; polyvox/threads.py decides the default and applies it.
Threads = Annotated[
    Optional[int],
    typer.Option(
        "--threads", min=1, envvar="POLYVOX_THREADS", show_envvar=False,
        help="CPU threads to compute with (shared by the command's processes); default: the cores other work leaves free.",
    ),
]
# Plain help (no rich tables): boolean flags get no '<bool>' metavar and long option names are never cut.
HELP_SETTINGS: dict[str, Any] = {"rich_markup_mode": None}


class OneLineUsageErrors(TyperGroup):
    """A usage error (a missing option, an unknown command, a value of the wrong type) is one ``error:``
    line, like every other error of the program, instead of the usage text and an ``Error:`` box."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        with _usage_errors_in_one_line():
            return super().parse_args(ctx, args)

    def invoke(self, ctx: Any) -> Any:
        with _usage_errors_in_one_line():  # the sub-commands' options are parsed in here
            return super().invoke(ctx)


@contextlib.contextmanager
def _usage_errors_in_one_line() -> Iterator[None]:
    try:
        yield
    except UsageError as error:
        if type(error).__name__ == "NoArgsIsHelpError":  # a group called bare shows its help
            raise
        message = error.format_message().rstrip(".")
        if error.ctx is not None:
            message += f"{' ' if message.endswith('?') else '; '}see {error.ctx.command_path} --help"
        typer.echo(f"error: {message[:1].lower()}{message[1:]}", err=True)
        raise typer.Exit(code=error.exit_code) from None


def check_speech_options(values: dict[str, Any]) -> None:
    """One ``error:`` line for the first ``SpeechRequest`` option outside its range, named as its command option."""
    from polyvox.speech_request import first_problem

    problem = first_problem(values, lambda field: "--lang" if field == "language" else "--" + field.replace("_", "-"))
    if problem is not None:
        fail(problem)


# The shells' exit status for a program stopped by Ctrl-C (128 + SIGINT).
INTERRUPTED_EXIT_CODE = 130


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=code)


def run(action: Any, on_interrupt: str = "") -> Any:
    """Run ``action``; a ``PolyvoxError`` (every error meant for the user) becomes one ``error:`` line and exit 1.
    Ctrl-C exits 130 with ``interrupted``, followed by ``on_interrupt`` (e.g. how to go on)."""
    try:
        return action()
    except PolyvoxError as error:
        fail(str(error))
    except KeyboardInterrupt:
        # A progress bar may be mid-line: the message starts on a line of its own.
        typer.echo("", err=True)
        fail(f"interrupted{'; ' + on_interrupt if on_interrupt else ''}", code=INTERRUPTED_EXIT_CODE)


def apply_threads(
    threads: Optional[int], processes: Optional[int] = 1, what: str = "processes", torch_now: bool = True,
    lower_processes: bool = True,
) -> ThreadPlan:
    """The command's thread plan, applied before its work imports torch; a bad count is one ``error:`` line."""
    from polyvox.threads import use_threads

    try:
        return use_threads(threads, processes, what, torch_now, lower_processes)
    except PolyvoxError as error:
        fail(str(error))


def training_processes(accelerator: str, devices: str) -> int:
    """Processes that share this machine's threads in train and finetune: --devices N on the CPU. Lightning starts
    the other ranks by running the command again with this one's environment, whose thread count is divided, so
    they take it as it is; under torchrun or srun every process starts alike and divides for itself."""
    from polyvox.train.ranks import is_follower, launched_outside

    on_cpu = accelerator == "cpu" and devices.isdigit() and int(devices) > 0
    return int(devices) if on_cpu and (launched_outside() or not is_follower()) else 1


def took(started: float) -> str:
    """How long since ``started`` (a ``time.monotonic()`` reading), for a command's summary line: 'in 4.2 s'."""
    return f"in {duration_text(time.monotonic() - started)}"


def duration_text(seconds: float) -> str:
    """'4.2 s', '3 min 05 s' or '2 h 03 min'."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, seconds = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def setup_logging(verbose: bool) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
