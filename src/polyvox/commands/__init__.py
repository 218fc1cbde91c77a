"""Commands of ``polyvox`` beyond the core ones in ``polyvox.cli``, one module per command.

Each module defines ``register(app)``, which adds its commands to the typer app. Modules import
only typer at import time; the work (torch, audio libraries) is imported inside the commands.
"""

from __future__ import annotations

from polyvox.commands import distill, evaluate, export, finetune, import_voice, prepare, serve, ui

COMMAND_MODULES = (prepare, evaluate, export, serve, ui, finetune, import_voice, distill)
