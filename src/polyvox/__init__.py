"""polyvox: multilingual text-to-speech. ``from polyvox import Voice`` loads torch only when used."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["Voice", "SynthesisResult", "__version__"]


def __getattr__(name: str) -> Any:
    if name in ("Voice", "SynthesisResult"):
        from polyvox.inference import voice

        return getattr(voice, name)
    raise AttributeError(f"module 'polyvox' has no attribute {name!r}")
