"""The shared mapping: every source tensor to its polyvox counterpart (or a reason), every polyvox tensor filled."""

from __future__ import annotations

import torch
from torch import Tensor

from polyvox.voice_file import build_generator
from polyvox.pretrained.names import WEIGHT_NORM_DIRECTION, WEIGHT_NORM_MAGNITUDE, polyvox_name
from polyvox.pretrained.plan import ImportPlan
from polyvox.pretrained.report import ImportReport, LoadedTensor, MismatchedTensor, MissingTensor, UnexpectedTensor
from polyvox.pretrained.weight_norm import pair_from_weight, weight_from_pair, zero_magnitude

# Polyvox tensors the source has no weights for start as in a new model built from this seed.
INITIALISATION_SEED = 0
_NEW_MODEL = f"initialised as in a new polyvox model (seed {INITIALISATION_SEED})"
_PLAIN = "weight"


def _shape(tensor: Tensor) -> tuple[int, ...]:
    return tuple(tensor.shape)


def _module_and_parameter(name: str) -> tuple[str, str]:
    for suffix in (WEIGHT_NORM_MAGNITUDE, WEIGHT_NORM_DIRECTION, _PLAIN):
        if name.endswith("." + suffix):
            return name[: -len(suffix) - 1], suffix
    return name, ""


def _reason(prefixes: dict[str, str], name: str) -> str | None:
    for prefix, reason in prefixes.items():
        if name == prefix or name.startswith(prefix + "."):
            return reason
    return None


class _Assembler:
    def __init__(self, plan: ImportPlan) -> None:
        self.plan = plan
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(INITIALISATION_SEED)
            self.target = {name: tensor.detach().clone() for name, tensor in build_generator(plan.metadata).state_dict().items()}
        self.filled: set[str] = set()
        self.report = ImportReport(layout=plan.layout, notes=list(plan.notes))

    def load(self, target: str, value: Tensor, sources: tuple[str, ...], how: str) -> None:
        self.target[target] = value.detach().to(torch.float32).clone()
        self.filled.add(target)
        shapes = tuple(_shape(self.plan.generator[name]) for name in sources)
        self.report.loaded.append(LoadedTensor(sources, shapes, target, _shape(value), how))

    def mismatch(self, source: str, target: str) -> None:
        initialisation = _reason(self.plan.initialisation, target) or _NEW_MODEL
        self.report.shape_mismatched.append(
            MismatchedTensor(source, target, _shape(self.plan.generator[source]), _shape(self.target[target]), initialisation)
        )

    def run(self) -> tuple[dict[str, Tensor], ImportReport]:
        plan = self.plan
        for target, prepared in plan.prepared.items():
            self.load(target, prepared.value, prepared.sources, prepared.how)
        renamed: dict[str, str] = {}  # polyvox-style name -> source name
        for source, tensor in plan.generator.items():
            if source in plan.consumed:
                continue
            reason = plan.left_out.get(source)
            name = None if reason else polyvox_name(source, plan.duration_roles)
            if reason is None and name is None:
                reason = "no polyvox counterpart"
            if reason is None and name is not None and name.startswith("decoder.") and not plan.reuse_decoder:
                reason = plan.decoder_reason
            if reason is not None or name is None:
                self.report.unexpected.append(UnexpectedTensor(source, _shape(tensor), reason or "no polyvox counterpart"))
            else:
                renamed[name] = source
        self._map(renamed)
        for name, (tensor, reason) in plan.other_tensors.items():
            self.report.unexpected.append(UnexpectedTensor(name, _shape(tensor), reason))
        self._fill_missing()
        return self.target, self.report

    def _map(self, renamed: dict[str, str]) -> None:
        handled: set[str] = set()
        for name, source in renamed.items():
            if name in handled:
                continue
            module, parameter = _module_and_parameter(name)
            pair = (f"{module}.{WEIGHT_NORM_MAGNITUDE}", f"{module}.{WEIGHT_NORM_DIRECTION}")
            if parameter == _PLAIN and pair[0] in self.target and name not in self.target:
                self._split(name, source, pair)
            elif parameter in (WEIGHT_NORM_MAGNITUDE, WEIGHT_NORM_DIRECTION) and pair[0] not in self.target:
                handled.update(pair)
                self._combine(module, pair, renamed)
            else:
                self._copy(name, source)

    def _copy(self, name: str, source: str) -> None:
        tensor = self.plan.generator[source]
        if name not in self.target:
            self.report.unexpected.append(UnexpectedTensor(source, _shape(tensor), f"no polyvox counterpart ({name})"))
        elif _shape(tensor) == _shape(self.target[name]):
            how = "weight_g/weight_v as a weight-norm parametrization" if source.endswith(("weight_g", "weight_v")) else "copied"
            self.load(name, tensor, (source,), how)
        elif _shape(tensor) == (1, *_shape(self.target[name])):
            self.load(name, tensor[0], (source,), "relative positions shared by all heads: leading axis of 1 dropped")
        else:
            self.mismatch(source, name)

    def _split(self, name: str, source: str, pair: tuple[str, str]) -> None:
        tensor = self.plan.generator[source]
        if _shape(tensor) != _shape(self.target[pair[1]]):
            self.mismatch(source, pair[1])
            return
        magnitude, direction = pair_from_weight(tensor)
        how = "plain weight split into weight-norm magnitude and direction (same computed weight)"
        self.load(pair[0], magnitude, (source,), how)
        self.load(pair[1], direction, (source,), how)

    def _combine(self, module: str, pair: tuple[str, str], renamed: dict[str, str]) -> None:
        sources = tuple(renamed[name] for name in pair if name in renamed)
        target = f"{module}.{_PLAIN}"
        if len(sources) != 2 or target not in self.target:
            for source in sources:
                self.report.unexpected.append(
                    UnexpectedTensor(source, _shape(self.plan.generator[source]), f"no polyvox counterpart ({target})")
                )
            return
        weight = weight_from_pair(self.plan.generator[sources[0]], self.plan.generator[sources[1]])
        if _shape(weight) != _shape(self.target[target]):
            self.mismatch(sources[1], target)
            return
        self.load(target, weight, sources, "weight-norm pair folded into a plain weight (same computed weight)")

    def _fill_missing(self) -> None:
        mismatched = {entry.target for entry in self.report.shape_mismatched}
        for name, tensor in self.target.items():
            if name in self.filled or name in mismatched:
                continue  # a mismatched tensor is reported once, with its source
            zero_reason = _reason(self.plan.zeroed, name)
            if zero_reason is not None and not name.endswith(WEIGHT_NORM_DIRECTION):
                magnitude = name.endswith(WEIGHT_NORM_MAGNITUDE)
                direction = name.replace(WEIGHT_NORM_MAGNITUDE, WEIGHT_NORM_DIRECTION)
                self.target[name] = zero_magnitude(self.target[direction]) if magnitude else torch.zeros_like(tensor)
                initialisation = f"zero: {zero_reason}"
            else:
                initialisation = _reason(self.plan.initialisation, name) or _reason(self.plan.zeroed, name) or _NEW_MODEL
            self.report.missing.append(MissingTensor(name, _shape(self.target[name]), initialisation))


def assemble(plan: ImportPlan) -> tuple[dict[str, Tensor], ImportReport]:
    """Polyvox generator tensors (every one of the architecture in ``plan.metadata``) and the report."""
    return _Assembler(plan).run()
