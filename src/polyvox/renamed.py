"""Public names that moved keep working under their old names, with a DeprecationWarning (#22)."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Callable, Mapping
from typing import Any


def forward_renamed(module: str, renamed: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__``: an old name in ``renamed`` gives its new name's object, with a warning."""

    def __getattr__(name: str) -> Any:
        if name not in renamed:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        warnings.warn(f"{module}.{name} is now {renamed[name]}; use the new name", DeprecationWarning, stacklevel=2)
        return getattr(sys.modules[module], renamed[name])

    return __getattr__
