"""Commands of ``polyvox``, one module per command (``import`` is a group of layouts).

Each module defines ``register(app)``, which adds its commands to the typer app of ``polyvox.cli``.
Modules import only typer (and torch-free helpers) at import time; the work (torch, audio libraries)
is imported inside the commands.
"""

from __future__ import annotations

from polyvox.commands import (
    corpus, distill, doctor, evaluate, export, features, finetune, import_dataset, import_voice, prepare, say, serve, train, ui,
)

# In the order `polyvox --help` lists them.
COMMAND_MODULES = (
    say, corpus, import_dataset, train, features, doctor, prepare, evaluate, export, serve, ui, finetune, import_voice, distill,
)
