"""Read a VoiceConfig from a preset, a JSON/TOML file and ``key=value`` overrides."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from polyvox.config import ConfigError, VoiceConfig, preset


def parse_value(text: str) -> Any:
    """``8`` -> 8, ``1e-4`` -> 0.0001, ``[8,8]`` -> [8, 8], ``true`` -> True, anything else a string."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def parse_overrides(overrides: Sequence[str]) -> dict[str, Any]:
    """``["training.batch_size=8"]`` -> ``{"training.batch_size": 8}`` (values as :func:`parse_value`)."""
    values: dict[str, Any] = {}
    for item in overrides:
        if "=" not in item:
            raise ConfigError(f"override {item!r} must look like section.key=value")
        key, value = item.split("=", 1)
        values[key.strip()] = parse_value(value.strip())
    return values


DEFAULT_PRESET = "small"


def load_config(
    path: Path | None, preset_name: str | None, overrides: list[str], max_steps: int | None, base: VoiceConfig | None = None
) -> VoiceConfig:
    """The preset (or ``base``, a resumed run's own config, when no preset is named), then the file, then the overrides."""
    start = preset(preset_name or DEFAULT_PRESET) if preset_name is not None or base is None else base
    if path is not None:
        try:
            raw = path.read_text(encoding="utf-8")
        except OSError as error:
            raise ConfigError(f"cannot read config file {path}: {error.strerror}") from error
        try:
            data = tomllib.loads(raw) if path.suffix == ".toml" else json.loads(raw)
        except (tomllib.TOMLDecodeError, json.JSONDecodeError) as error:
            raise ConfigError(f"{path} is not valid {'TOML' if path.suffix == '.toml' else 'JSON'}: {error}") from error
        merged = start.to_dict()
        _merge(merged, data)
        config = VoiceConfig.from_dict(merged)
    else:
        config = start
    values = parse_overrides(overrides)
    if max_steps is not None:
        values["training.max_steps"] = max_steps
    return config.replace(**values) if values else config


def _merge(base: dict[str, Any], update: dict[str, Any]) -> None:
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value
