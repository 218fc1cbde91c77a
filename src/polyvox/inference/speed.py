"""Getting a generator ready for fast synthesis (placeholder: what Voice.load does today)."""

from __future__ import annotations

import torch


def prepare_for_inference(generator: torch.nn.Module) -> torch.nn.Module:
    generator.eval()
    if hasattr(generator.decoder, "remove_weight_norm"):
        generator.decoder.remove_weight_norm()
    return generator
