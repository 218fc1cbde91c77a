"""Which module parameter each initializer of an exported VITS-family graph is, found from the graph's structure.

The exporter keeps a parameter's state-dict name when the graph reads the parameter as it is. It does not for
weights it computed while tracing: weight norm folded into one weight (``onnx::Conv_8168``), a parameter renamed
after an unused input name (Piper's single-speaker graphs call the symbol table ``sid``), a constant folded from a
parameter (``exp(-logs)`` of the duration predictor's affine flow). Those are identified by the node that reads
them: its op and input slot, the named tensors beside it on the same node, and the module path in its name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import torch
from torch import Tensor

from polyvox.pretrained.onnx_graph import GraphNode, OnnxGraph

# Top-level modules of a VITS-family generator: a name under one of them is a state-dict name.
MODULE_HEADS = ("enc_p", "enc_q", "dec", "flow", "dp", "sdp", "emb_g")
_STATE_DICT_NAME = re.compile(r"(?:%s)(?:\.[A-Za-z_0-9]+)+" % "|".join(MODULE_HEADS))
# Initializers this small that no node reads as a weight are the graph's own arithmetic (axes, shapes, scalars).
CONSTANT_MAX_ELEMENTS = 64
_WEIGHT_SLOTS = {
    "Conv": {1: "weight", 2: "bias"}, "ConvTranspose": {1: "weight", 2: "bias"}, "MatMul": {1: "weight"}, "Gemm": {1: "weight", 2: "bias"},
}
TEXT_INPUT = "input"
SPEAKER_INPUT = "sid"


@dataclass
class ResolvedWeights:
    tensors: dict[str, Tensor] = field(default_factory=dict)  # state-dict name -> value, as the module stores it
    found_as: dict[str, str] = field(default_factory=dict)  # state-dict name -> how it was found, when renamed
    initializer_of: dict[str, str] = field(default_factory=dict)  # state-dict name -> the initializer it came from
    constants: list[str] = field(default_factory=list)  # the graph's arithmetic constants
    unknown: dict[str, Tensor] = field(default_factory=dict)  # initializers no module parameter was found for


def is_state_dict_name(name: str) -> bool:
    return _STATE_DICT_NAME.fullmatch(name) is not None


def _reader(graph: OnnxGraph, name: str) -> tuple[GraphNode, int] | None:
    """The first node reading ``name`` in a weight slot, else the first reader."""
    readers = graph.consumers.get(name, [])
    for node, slot in readers:
        if slot in _WEIGHT_SLOTS.get(node.op_type, {}):
            return node, slot
    return readers[0] if readers else None


def _read_as_weight(graph: OnnxGraph, name: str) -> bool:
    found = _reader(graph, name)
    return found is not None and found[1] in _WEIGHT_SLOTS.get(found[0].op_type, {})


def _matmul_weight(node: GraphNode, value: Tensor) -> Tensor:
    """A Linear's (out, in) weight from the (in, out) matrix a MatMul (or Gemm without transB) multiplies by."""
    transposed = node.op_type == "MatMul" or not node.attributes.get("transB", 0)
    return value.t().contiguous() if transposed else value


def _by_structure(graph: OnnxGraph, name: str, value: Tensor) -> tuple[str, Tensor, str] | None:
    """(state-dict name, value as stored, how it was found) of an initializer without a state-dict name."""
    found = _reader(graph, name)
    if found is None:
        return None
    node, slot = found
    if node.op_type == "Gather" and slot == 0 and len(node.inputs) > 1:
        table = {TEXT_INPUT: "enc_p.emb.weight", SPEAKER_INPUT: "emb_g.weight"}.get(node.inputs[1])
        if table is not None:
            return table, value, f"the table Gather looks graph input {node.inputs[1]!r} up in"
    role = _WEIGHT_SLOTS.get(node.op_type, {}).get(slot)
    if role is not None:
        module = _module_of(node)
        if module is None:
            return None
        stored = _matmul_weight(node, value) if node.op_type in ("MatMul", "Gemm") and role == "weight" else value
        how = f"the {role} of {node.op_type} node {node.name or '(unnamed)'}"
        if node.op_type in ("MatMul", "Gemm") and role == "weight":
            how += ", transposed back to (out, in)"
        return f"{module}.{role}", stored, how
    return _folded_affine_scale(graph, node, name, value)


def _module_of(node: GraphNode) -> str | None:
    """The module a weight-reading node computes: from the named bias beside it, else from the node's module path."""
    for other in node.inputs[1:]:
        if other.endswith(".bias") and is_state_dict_name(other):
            return other[: -len(".bias")]
    return node.scope if is_state_dict_name(node.scope) else None


def _folded_affine_scale(graph: OnnxGraph, node: GraphNode, name: str, value: Tensor) -> tuple[str, Tensor, str] | None:
    """VITS's element-wise affine flow run in reverse computes ``(x - m) * exp(-logs)``; tracing folds ``exp(-logs)``
    (torch 2.0's exporter, Piper's released voices) or ``-logs`` (later exporters, which keep the Exp node).

    Recognised when a Mul multiplies the folded value (or its Exp) with a Sub that takes the module's own ``m``.
    """
    multiplier, folded_exp = name, True
    if node.op_type == "Exp":
        multiplier, folded_exp = node.outputs[0], False
        node = next((reader for reader, _ in graph.consumers.get(multiplier, []) if reader.op_type == "Mul"), node)
    if node.op_type != "Mul":
        return None
    other = next((value_name for value_name in node.inputs if value_name != multiplier), "")
    subtraction = graph.producers.get(other)
    if subtraction is None or subtraction.op_type != "Sub":
        return None
    shift = next((input_name for input_name in subtraction.inputs if input_name.endswith(".m") and is_state_dict_name(input_name)), None)
    if shift is None:
        return None
    module = shift[: -len(".m")]
    if folded_exp:
        return f"{module}.logs", -torch.log(value), f"exp(-logs) folded by the exporter, read back as -log({name})"
    return f"{module}.logs", -value, f"-logs folded by the exporter (read by an Exp node), read back as -({name})"


def resolve_weights(graph: OnnxGraph) -> ResolvedWeights:
    """Every initializer as a module parameter (under VITS's state-dict names), a graph constant or unknown."""
    resolved = ResolvedWeights()
    for name, value in graph.initializers.items():
        if is_state_dict_name(name):
            target, stored, how = name, value, ""
        else:
            found = _by_structure(graph, name, value)
            if found is None:
                if value.numel() <= CONSTANT_MAX_ELEMENTS and not _read_as_weight(graph, name):
                    resolved.constants.append(name)
                else:
                    resolved.unknown[name] = value
                continue
            target, stored, how = found
        if target in resolved.tensors:
            resolved.unknown[name] = value  # a second initializer for one parameter: report it, keep the first
            continue
        resolved.tensors[target] = stored
        resolved.initializer_of[target] = name
        if how:
            resolved.found_as[target] = how
    return resolved
