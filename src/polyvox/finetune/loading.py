"""Loading source weights into a (possibly grown) model, with an entry for every tensor."""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import Tensor

from polyvox.finetune.report import TensorEntry
from polyvox.finetune.tables import TABLE_NOUNS, GrownTable


def load_with_report(
    module: torch.nn.Module, tensors: Mapping[str, Tensor], grown: Mapping[str, GrownTable], prefix: str
) -> list[TensorEntry]:
    """Copy into ``module`` every tensor of ``tensors`` whose name and shape match (grown tables in their
    grown form); one entry per tensor of either side, names shown with ``prefix``."""
    target = module.state_dict()
    entries = []
    matching: dict[str, Tensor] = {}
    for name, tensor in tensors.items():
        shown = f"{prefix}{name}"
        if name not in target:
            entries.append(TensorEntry(shown, "unexpected", tuple(tensor.shape)))
            continue
        model_shape = tuple(target[name].shape)
        if name in grown and tuple(grown[name].rows.shape) == model_shape:
            matching[name] = grown[name].rows
            detail = grown[name].describe(TABLE_NOUNS[name])
            entries.append(TensorEntry(shown, "grown", model_shape, tuple(tensor.shape), detail))
        elif tuple(tensor.shape) == model_shape:
            matching[name] = tensor
            entries.append(TensorEntry(shown, "loaded", model_shape))
        else:
            entries.append(TensorEntry(shown, "shape_mismatch", model_shape, tuple(tensor.shape)))
    entries.extend(TensorEntry(f"{prefix}{name}", "missing", tuple(value.shape)) for name, value in target.items() if name not in tensors)
    with torch.no_grad():
        module.load_state_dict({name: value.to(target[name].dtype) for name, value in matching.items()}, strict=False)
    return entries
