"""A voice's own synthesis settings: the speed and noise a request that leaves them out is spoken with.

A voice may speak more clearly slower or with less variation than the standard settings (the bundled voice
does: docs/training.md); it says so in its info (``info["synthesis"]``, JSON), as a Piper voice's
``.onnx.json`` does under "inference". A request's own value always wins. Nothing here imports torch.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

logger = logging.getLogger(__name__)

# The key in a voice's info; Piper imports made before it kept Piper's settings as piper_<name> (read as a fallback).
INFO_KEY = "synthesis"
_PIPER_NAMES = {"noise_scale": "piper_noise_scale", "noise_scale_duration": "piper_noise_w"}


@dataclass(frozen=True)
class SynthesisSettings:
    """Speed (1.0: the trained rate), prior noise and duration noise. The class defaults are the standard settings
    (VITS's), used where neither the request nor the voice names one."""

    speed: float = 1.0
    noise_scale: float = 0.667
    noise_scale_duration: float = 0.8

    @property
    def length_scale(self) -> float:
        return 1.0 / self.speed

    @classmethod
    def from_info(cls, info: Mapping[str, Any]) -> SynthesisSettings:
        """The voice's settings; a malformed or out-of-range entry is warned about and left at the standard value
        (a voice must still speak)."""
        named = _named_in(info)
        chosen = {}
        for name, value in named.items():
            problem = _problem(name, value)
            if problem is None:
                chosen[name] = float(value)
            else:
                logger.warning("the voice's synthesis setting %s is ignored: %s", name, problem)
        return replace(cls(), **chosen)

    def for_request(self, speed: float | None, noise_scale: float | None, noise_scale_duration: float | None) -> SynthesisSettings:
        """These settings with the request's own values where it gives them."""
        given = {"speed": speed, "noise_scale": noise_scale, "noise_scale_duration": noise_scale_duration}
        return replace(self, **{name: value for name, value in given.items() if value is not None})

    def to_info(self) -> str:
        """The JSON a voice's info holds under ``INFO_KEY``."""
        return json.dumps(asdict(self))


STANDARD = SynthesisSettings()
NAMES = tuple(item.name for item in fields(SynthesisSettings))


def _named_in(info: Mapping[str, Any]) -> dict[str, Any]:
    if INFO_KEY in info:
        try:
            named = json.loads(info[INFO_KEY]) if isinstance(info[INFO_KEY], str) else info[INFO_KEY]
        except json.JSONDecodeError:
            named = None
        if not isinstance(named, dict):
            logger.warning("the voice's %s is not a JSON object; it speaks with the standard settings", INFO_KEY)
            return {}
        unknown = sorted(set(named) - set(NAMES))
        if unknown:
            logger.warning("the voice's synthesis settings %s are unknown and ignored (known: %s)", unknown, ", ".join(NAMES))
        return {name: value for name, value in named.items() if name in NAMES}
    named = {name: info[key] for name, key in _PIPER_NAMES.items() if key in info}
    if "piper_length_scale" in info:
        try:
            named["speed"] = 1.0 / float(info["piper_length_scale"])
        except (ValueError, ZeroDivisionError):
            named["speed"] = info["piper_length_scale"]
    return named


def _problem(name: str, value: Any) -> str | None:
    from polyvox.speech_request import SPECS

    try:
        number = float(value)
    except (TypeError, ValueError):
        return f"{value!r} is not a number"
    bound = SPECS[name].bound
    return None if bound is None else bound.problem(name, number)
