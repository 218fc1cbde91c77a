"""Smaller graphs: the weights stored as int8 or float16, computed in float32.

``int8``: each weight matrix of a Conv, ConvTranspose, MatMul or Gemm and each embedding table of a
Gather is stored as int8 with one float32 scale per output channel (symmetric, the channel's largest
magnitude -> 127), followed by ``Cast`` to float32 and ``Mul`` by the scales. ``fp16``: every larger
float32 initializer is stored as float16, followed by ``Cast`` to float32. onnxruntime folds those
casts into float32 weights when it loads a graph, so a quantized graph computes as fast as the float32
one and its inputs and outputs are unchanged; only the rounding of the weights differs.

Why not onnxruntime's own tools (the figures are in benchmarks/results/quantize.md):
``quantize_dynamic`` (int8 activations and weights: ConvInteger, MatMulInteger) cannot quantize
ConvTranspose, so the decoder's upsampling stays float32; it ran slower than float32 at one thread,
changed the decoder's audio more than int8 weights, raised the listener's error rate past the 10 % the
export allows, and its ConvInteger is not in onnxruntime-mobile's reduced operator set.
``convert_float_to_float16`` (float16 compute; onnxruntime's CPU engine, and so onnxruntime-web's, casts
around the operators it has no float16 kernel for) changed the audio more than float16 weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, get_args

import numpy as np

from polyvox.errors import PolyvoxError
from polyvox.export.operator_check import graph_nodes

if TYPE_CHECKING:
    import onnx

Quantization = Literal["int8", "fp16"]
QUANTIZATIONS: tuple[str, ...] = get_args(Quantization)
# Smaller initializers (biases, norms, shape constants) stay float32: they hardly weigh and some are exact.
MIN_ELEMENTS = 256
INT8_LEVEL = 127  # symmetric: -127..127, zero stays exactly zero
# (operator, input index) that hold a weight -> the axis of its output channels, one scale each.
INT8_WEIGHTS: dict[tuple[str, int], int] = {
    ("Conv", 1): 0,  # (out, in / groups, kernel...)
    ("ConvTranspose", 1): 1,  # (in, out / groups, kernel...)
    ("MatMul", 1): -1,  # (..., in, out)
    ("Gemm", 1): -1,  # (in, out); (out, in) with transB, see _weight_axis
    ("Gather", 0): 0,  # an embedding table: one scale per row
}
# The benchmark's verdict (benchmarks/results/quantize.json): a mode whose listener's error rate on the
# bundled voice rose by more than 10 % relative to float32 is refused, with the reason. Empty: both passed
# (capped CER 0.467 float32, 0.453 fp16, 0.455 int8; 36 held-out sentences in six languages).
REFUSED: dict[str, str] = {}


class QuantizeError(PolyvoxError, ValueError):
    """An unknown or refused quantization; the message says what to use instead."""


@dataclass(frozen=True)
class QuantizedWeight:
    """One weight the graph now stores small: its name and its element count."""

    name: str
    elements: int


def check_quantization(quantization: str) -> Quantization:
    """``quantization`` if it is offered, else ``QuantizeError`` in one line."""
    if quantization not in QUANTIZATIONS:
        raise QuantizeError(f"--quantize must be one of {', '.join(QUANTIZATIONS)}, got {quantization!r}")
    if quantization in REFUSED:
        raise QuantizeError(f"--quantize {quantization} is not offered: {REFUSED[quantization]}; use --quantize fp16")
    return quantization  # type: ignore[return-value]


def _weight_axis(node: onnx.NodeProto, index: int) -> int | None:
    axis = INT8_WEIGHTS.get((node.op_type, index))
    transposed = any(attribute.name == "transB" and attribute.i for attribute in node.attribute)
    return 0 if node.op_type == "Gemm" and axis is not None and transposed else axis


def _int8_axes(model: onnx.ModelProto) -> dict[str, int]:
    """Initializer name -> channel axis, for the weights every consumer agrees to store as int8."""
    axes: dict[str, int | None] = {}
    for node in graph_nodes(model.graph):
        for index, name in enumerate(node.input):
            axis = _weight_axis(node, index)
            if name in axes and axes[name] != axis:
                axes[name] = None  # also used as something else (a bias, a shape): keep it float32
            else:
                axes.setdefault(name, axis)
    return {name: axis for name, axis in axes.items() if axis is not None}


def _int8(weights: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """(int8 values, float32 scales shaped to broadcast against them)."""
    axis = axis % weights.ndim
    reduced = tuple(dimension for dimension in range(weights.ndim) if dimension != axis)
    largest = np.abs(weights).max(axis=reduced, keepdims=True)
    scales = np.where(largest > 0, largest / INT8_LEVEL, 1.0).astype(np.float32)
    values = np.clip(np.rint(weights / scales), -INT8_LEVEL, INT8_LEVEL).astype(np.int8)
    return values, scales


def quantize_model(model: onnx.ModelProto, quantization: Quantization) -> list[QuantizedWeight]:
    """Store ``model``'s weights as ``quantization`` in place; returns what was converted.

    Does not consult ``REFUSED`` (the benchmark measures every mode): callers check first.
    """
    from onnx import TensorProto, helper, numpy_helper

    axes = _int8_axes(model) if quantization == "int8" else {}
    decoders: list[onnx.NodeProto] = []
    converted: list[QuantizedWeight] = []
    for initializer in list(model.graph.initializer):
        if initializer.data_type != TensorProto.FLOAT or np.prod(initializer.dims) < MIN_ELEMENTS:
            continue
        if quantization == "int8" and initializer.name not in axes:
            continue
        name, weights = initializer.name, numpy_helper.to_array(initializer)
        if quantization == "fp16" and not np.isfinite(weights.astype(np.float16)).all():
            continue  # beyond float16's range (65504): keep it exact
        model.graph.initializer.remove(initializer)
        # The float32 weight keeps its name: the nodes that read it are unchanged.
        if quantization == "int8":
            values, scales = _int8(weights, axes[name])
            model.graph.initializer.extend(
                [numpy_helper.from_array(values, f"{name}.int8"), numpy_helper.from_array(scales, f"{name}.scale")]
            )
            decoders.append(helper.make_node("Cast", [f"{name}.int8"], [f"{name}.unscaled"], to=TensorProto.FLOAT))
            decoders.append(helper.make_node("Mul", [f"{name}.unscaled", f"{name}.scale"], [name]))
        else:
            model.graph.initializer.append(numpy_helper.from_array(weights.astype(np.float16), f"{name}.fp16"))
            decoders.append(helper.make_node("Cast", [f"{name}.fp16"], [name], to=TensorProto.FLOAT))
        converted.append(QuantizedWeight(name, int(weights.size)))
    nodes = [*decoders, *model.graph.node]  # first: each reads only initializers
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    return converted


def quantize_graph(graph: bytes, quantization: Quantization) -> bytes:
    """The serialized graph with its weights stored as ``quantization``."""
    import onnx

    model = onnx.load_from_string(graph)
    quantize_model(model, quantization)
    return model.SerializeToString()
