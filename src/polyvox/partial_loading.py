"""Partial loading: copy only the tensors whose names and shapes match, and say what was left out."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass
class LoadReport:
    loaded: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # in the model, not in the checkpoint: left as initialised
    unexpected: list[str] = field(default_factory=list)  # in the checkpoint, not in the model: ignored
    # (name, checkpoint shape, model shape): left as initialised
    shape_mismatched: list[tuple[str, tuple[int, ...], tuple[int, ...]]] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not (self.missing or self.unexpected or self.shape_mismatched)

    def lines(self) -> list[str]:
        """One line per tensor that was not loaded (for the caller to log)."""
        return (
            [f"missing (kept as initialised): {name}" for name in self.missing]
            + [f"unexpected (ignored): {name}" for name in self.unexpected]
            + [
                f"shape mismatch (kept as initialised): {name}: checkpoint {list(stored)}, model {list(model)}"
                for name, stored, model in self.shape_mismatched
            ]
        )

    def summary(self) -> str:
        return (
            f"loaded {len(self.loaded)} tensors; {len(self.missing)} missing, {len(self.unexpected)} unexpected, "
            f"{len(self.shape_mismatched)} with another shape"
        )


def load_partial_state(module: torch.nn.Module, tensors: dict[str, torch.Tensor]) -> LoadReport:
    """Load every tensor of ``tensors`` whose name and shape match ``module``'s state; report the rest."""
    target = module.state_dict()
    report = LoadReport()
    matching = {}
    for name, tensor in tensors.items():
        if name not in target:
            report.unexpected.append(name)
        elif tuple(tensor.shape) != tuple(target[name].shape):
            report.shape_mismatched.append((name, tuple(tensor.shape), tuple(target[name].shape)))
        else:
            matching[name] = tensor
            report.loaded.append(name)
    report.missing = [name for name in target if name not in tensors]
    module.load_state_dict(matching, strict=False)
    return report
