"""Hand-edited and damaged copies of a voice file, as a user (or an attacker) could make them."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

SYMBOLS = "text_encoder.symbol_embedding.weight"


def _edit_config(strings: dict[str, str], section: str, key: str, value: object) -> None:
    config = json.loads(strings["config"])
    node = config
    for part in section.split("."):
        node = node[part]
    node[key] = value
    strings["config"] = json.dumps(config)


def _edit_list(strings: dict[str, str], name: str, change) -> None:
    strings[name] = json.dumps(change(json.loads(strings[name])))


# kind -> (what is done, the fragment the one-line error must hold)
BREAKAGES = {
    "config field of the wrong type": "config field audio.sample_rate must be an integer, got 'fast'",
    "NaN in the symbol embedding": f"{SYMBOLS} has NaN or infinite values",
    "symbol list shorter than the embedding": f"{SYMBOLS} has shape",
    "symbol list longer than the embedding": f"{SYMBOLS} has shape",
    "languages a string": "'languages' metadata must be a list of strings",
    "extra speaker names": "lists 3 speakers but its config has a table of 2",
    "int32 symbol embedding": f"{SYMBOLS} holds int32 values, not floating point",
    "decoder from another preset": "decoder.",
}


def break_voice(source: Path, target: Path, kind: str) -> Path:
    tensors = load_file(str(source))
    with safe_open(str(source), framework="pt") as handle:
        strings = dict(handle.metadata())
    if kind == "config field of the wrong type":
        _edit_config(strings, "audio", "sample_rate", "fast")
    elif kind == "NaN in the symbol embedding":
        tensors[SYMBOLS][3, 0] = float("nan")
    elif kind == "symbol list shorter than the embedding":
        _edit_list(strings, "symbols", lambda symbols: symbols[:-1])
    elif kind == "symbol list longer than the embedding":
        _edit_list(strings, "symbols", lambda symbols: [*symbols, "zz"])
    elif kind == "languages a string":
        strings["languages"] = json.dumps("en")
    elif kind == "extra speaker names":
        _edit_list(strings, "speakers", lambda speakers: [*speakers, "ghost"])
    elif kind == "int32 symbol embedding":
        tensors[SYMBOLS] = (tensors[SYMBOLS] * 100).to(torch.int32)
    elif kind == "decoder from another preset":
        config = json.loads(strings["config"])
        _edit_config(strings, "model.decoder", "initial_channels", config["model"]["decoder"]["initial_channels"] * 2)
    else:
        raise ValueError(kind)
    save_file(tensors, str(target), metadata=strings)
    return target
