"""Symbol lists of VITS-style projects: a ``symbols`` entry of a JSON file, or VITS's ``text/symbols.py``.

``symbols.py`` is read, never run: its string assignments are parsed with :mod:`ast`, and the ``symbols``
expression may only join lists, ``list(name)`` of strings and names of such values.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

from polyvox.pretrained.errors import PretrainedImportError

SYMBOLS_NAME = "symbols"


def read_symbol_list(path: Path) -> list[str]:
    """The symbol list (row ``i`` is symbol ``i``) of a ``symbols.py`` or a JSON file (a list, or ``{"symbols": [...]}``)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise PretrainedImportError(f"symbol file {path} is not readable ({error})") from error
    if path.suffix == ".py":
        return _from_python(text, path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise PretrainedImportError(f"symbol file {path} is neither a .py symbol module nor JSON ({error})") from error
    symbols = data.get(SYMBOLS_NAME) if isinstance(data, dict) else data
    return check_symbol_list(symbols, str(path))


def check_symbol_list(symbols: Any, source: str) -> list[str]:
    if not isinstance(symbols, list) or not all(isinstance(symbol, str) and symbol for symbol in symbols):
        raise PretrainedImportError(f"{source}: 'symbols' must be a list of non-empty strings")
    return symbols


def _from_python(text: str, path: Path) -> list[str]:
    try:
        tree = ast.parse(text, filename=str(path))
    except SyntaxError as error:
        raise PretrainedImportError(f"{path} is not valid Python ({error})") from error
    values: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                values[node.targets[0].id] = _evaluate(node.value, values)
            except ValueError:
                continue  # an assignment of another kind: not part of the symbol list
    if SYMBOLS_NAME not in values:
        raise PretrainedImportError(
            f"{path} has no 'symbols = ...' built from string constants and lists (as VITS's text/symbols.py); "
            "pass a JSON file with the symbol list instead"
        )
    return check_symbol_list(values[SYMBOLS_NAME], str(path))


def _evaluate(node: ast.expr, values: dict[str, Any]) -> Any:
    """Strings, lists of them, names bound earlier, ``list(...)`` and ``+``; anything else is a ValueError."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name) and node.id in values:
        return values[node.id]
    if isinstance(node, ast.List):
        return [_evaluate(element, values) for element in node.elts]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _evaluate(node.left, values), _evaluate(node.right, values)
        if type(left) is not type(right):
            raise ValueError("mixed types")
        return left + right
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "list" and len(node.args) == 1:
        return list(_evaluate(node.args[0], values))
    raise ValueError(f"unsupported expression {type(node).__name__}")
