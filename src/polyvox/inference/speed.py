"""Getting a generator ready for fast synthesis, without changing what it computes."""

from __future__ import annotations

import torch
from torch.nn.utils import parametrize


def prepare_for_inference(generator: torch.nn.Module) -> torch.nn.Module:
    """Eval mode, and every weight-norm parametrization (decoder, flow, posterior encoder) folded into a
    plain weight, so no weight is recomputed at each call. Outputs are unchanged (to float rounding);
    the state dict then names ``weight`` instead of ``parametrizations.weight.original0/1``, so a
    prepared generator is for synthesis and export, not for further training or saving."""
    generator.eval()
    for module in generator.modules():
        if parametrize.is_parametrized(module, "weight"):
            parametrize.remove_parametrizations(module, "weight", leave_parametrized=True)
    return generator
