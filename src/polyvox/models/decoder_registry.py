"""The decoders a config may name, listed without importing them: ``DecoderConfig`` checks the name and
counts the up-sampling when it is built, before torch is loaded. A new decoder is its file and one entry
here; ``polyvox.models.decoders`` imports the class an entry names."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DecoderEntry:
    class_path: str  # "module:Class" of an UpsamplingDecoder subclass
    # Ends in an inverse STFT (and a pseudo-QMF synthesis of ``subbands``): istft_hop and subbands up-sample too.
    inverse_stft_head: bool

    def load(self) -> Any:
        module, name = self.class_path.split(":")
        return getattr(importlib.import_module(module), name)


DECODER_ENTRIES: dict[str, DecoderEntry] = {
    "hifigan": DecoderEntry("polyvox.models.decoders.hifigan:HifiGanDecoder", inverse_stft_head=False),
    "istft": DecoderEntry("polyvox.models.decoders.istft:IstftDecoder", inverse_stft_head=True),
}


def names_with_inverse_stft_head() -> list[str]:
    return [name for name, entry in DECODER_ENTRIES.items() if entry.inverse_stft_head]
