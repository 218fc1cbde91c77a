"""A fused-scheme voice turned into a features-scheme one, keeping what it learned (#16).

Voices made before the features scheme fuse stress and tone into their symbols (``ˈiː``, ``ian3``). The
converted voice's symbols are the bare phonemes (``i``, ``ian``); each row is the mean of the fused rows
that carry that phoneme, and the new accent and length embeddings start at zero, so before any training
the converted voice speaks each phoneme as the average of its stressed and toned forms. Every other tensor
is kept. Fine-tuning it (``polyvox finetune --from converted.safetensors``) then learns stress and tone as
features, which any phoneme can take.
"""

from __future__ import annotations

import dataclasses

import torch
from torch import Tensor

from polyvox.voice_file import VoiceMetadata
from polyvox.finetune.errors import FinetuneSetupError
from polyvox.finetune.tables import SYMBOL_TABLE
from polyvox.text.prosody import ACCENTS, LENGTHS, split_symbol
from polyvox.text.symbols import RESERVED_SYMBOLS, SymbolTable

_ACCENT_TABLE = "text_encoder.accent_embedding.weight"
_LENGTH_TABLE = "text_encoder.length_embedding.weight"
# Fused symbols do not say their language; tones are written as digits only by the Mandarin front end.
_TONED_LANGUAGE = "zh"


def bare_phoneme(symbol: str) -> str:
    """The phoneme a fused symbol carries: stress and length marks and a Mandarin tone digit removed."""
    phoneme, _, _ = split_symbol(symbol, _TONED_LANGUAGE if symbol[-1:].isdigit() else "")
    return phoneme


def to_features_scheme(tensors: dict[str, Tensor], metadata: VoiceMetadata) -> tuple[dict[str, Tensor], VoiceMetadata]:
    """The weights and metadata of ``metadata``'s voice in the features scheme (see the module's docstring)."""
    if metadata.config.model.text_encoder.prosody_embeddings:
        raise FinetuneSetupError("this voice already uses the features scheme; nothing to convert")
    if metadata.config.text.token_unit == "codepoint":
        raise FinetuneSetupError("this voice reads one symbol per character (an imported Piper or VITS voice): every stress "
                                 "mark is a symbol of its own already, so it has no fused symbols to convert")
    fused = metadata.symbols.to_list()
    rows = tensors[SYMBOL_TABLE]
    bare: dict[str, list[int]] = {}
    for index, symbol in enumerate(fused):
        name = symbol if symbol in RESERVED_SYMBOLS else bare_phoneme(symbol)
        bare.setdefault(name, []).append(index)
    symbols = SymbolTable(list(bare))  # the reserved symbols come first in both tables
    converted = dict(tensors)
    converted[SYMBOL_TABLE] = torch.stack([rows[indices].float().mean(dim=0) for indices in bare.values()]).to(rows.dtype)
    hidden = rows.shape[1]
    converted[_ACCENT_TABLE] = torch.zeros(len(ACCENTS), hidden, dtype=rows.dtype)
    converted[_LENGTH_TABLE] = torch.zeros(len(LENGTHS), hidden, dtype=rows.dtype)
    config = metadata.config.replace(**{"model.text_encoder.prosody_embeddings": True})
    info = dict(metadata.info, converted_from_scheme="fused", fused_symbols=str(len(fused)))
    return converted, dataclasses.replace(metadata, config=config, symbols=symbols, info=info)
