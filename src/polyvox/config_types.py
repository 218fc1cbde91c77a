"""Type checks of config values against their dataclass fields' annotations, so a value of the wrong
type (``--set training.batch_size=abc``, a hand-edited voice file) is a ``ConfigError`` naming the field
instead of a ``TypeError`` deep inside training or synthesis."""

from __future__ import annotations

import types
import typing
from typing import Any, Literal, Union


def type_problem(value: Any, hint: Any) -> str | None:
    """None when ``value`` fits ``hint`` (JSON lists stand for tuples); else what was expected."""
    if hint is Any:
        return None
    origin = typing.get_origin(hint)
    arguments = typing.get_args(hint)
    if origin in (Union, types.UnionType):
        problems = [type_problem(value, arm) for arm in arguments]
        return None if any(problem is None for problem in problems) else " or ".join(describe(arm) for arm in arguments)
    if origin is Literal:
        return None if value in arguments else describe(hint)
    if origin in (tuple, list):
        if not isinstance(value, (tuple, list)):
            return describe(hint)
        if origin is tuple and not (len(arguments) == 2 and arguments[1] is Ellipsis):
            if len(value) != len(arguments):
                return describe(hint)
            items = list(zip(value, arguments))
        else:
            items = [(item, arguments[0] if arguments else Any) for item in value]
        return None if all(type_problem(item, item_hint) is None for item, item_hint in items) else describe(hint)
    if hint is type(None):
        return None if value is None else "null"
    if hint is bool:
        return None if isinstance(value, bool) else describe(hint)
    if hint is int:
        return None if isinstance(value, int) and not isinstance(value, bool) else describe(hint)
    if hint is float:
        return None if isinstance(value, (int, float)) and not isinstance(value, bool) else describe(hint)
    if hint is str:
        return None if isinstance(value, str) else describe(hint)
    if origin is dict or hint is dict:
        return None if isinstance(value, dict) else describe(hint)
    return None


def coerce_literal(value: Any, hint: Any) -> Any:
    """``2`` for a field of ``Literal["1", "2"]`` (as ``--set x=2`` parses) becomes ``"2"``; anything else as given."""
    if typing.get_origin(hint) is Literal and isinstance(value, int) and not isinstance(value, bool):
        if str(value) in typing.get_args(hint):
            return str(value)
    return value


def describe(hint: Any) -> str:
    origin = typing.get_origin(hint)
    arguments = typing.get_args(hint)
    if origin is Literal:
        return "one of " + ", ".join(repr(argument) for argument in arguments)
    if origin in (Union, types.UnionType):
        return " or ".join(describe(arm) for arm in arguments)
    if origin in (tuple, list):
        if origin is tuple and not (len(arguments) == 2 and arguments[1] is Ellipsis):
            return f"a list of {len(arguments)} ({', '.join(describe(argument) for argument in arguments)})"
        return f"a list of {_plural(arguments[0]) if arguments else 'values'}"
    names = {bool: "true or false", int: "an integer", float: "a number", str: "a string", type(None): "null"}
    return names.get(hint, getattr(hint, "__name__", str(hint)))


def _plural(hint: Any) -> str:
    names = {bool: "true/false values", int: "integers", float: "numbers", str: "strings"}
    if hint in names:
        return names[hint]
    described = describe(hint)
    return "lists" + described.removeprefix("a list") if described.startswith("a list") else f"values that are each {described}"
