"""An ONNX graph as plain data: its initializers as tensors and its nodes, read with ``onnx`` and never run.

``onnx`` (the ``onnx`` extra) is imported here only, when a graph is read.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from polyvox.pretrained.errors import PretrainedImportError


@dataclass(frozen=True)
class GraphNode:
    op_type: str
    name: str  # the legacy exporter writes the module path: "/flow/flows.6/enc/in_layers.0/Conv"
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    attributes: dict[str, Any]

    @property
    def scope(self) -> str:
        """The module the node belongs to, in state-dict spelling ("flow.flows.6.enc.in_layers.0"); "" when unnamed."""
        if not self.name.startswith("/"):
            return ""
        return self.name.strip("/").rpartition("/")[0].replace("/", ".")


@dataclass
class OnnxGraph:
    initializers: dict[str, Tensor]  # in the file's order
    nodes: list[GraphNode]  # in graph order
    inputs: tuple[str, ...]  # graph inputs that are not initializers
    outputs: tuple[str, ...]
    producer: str
    consumers: dict[str, list[tuple[GraphNode, int]]] = field(default_factory=dict)  # value -> (node, input slot)
    producers: dict[str, GraphNode] = field(default_factory=dict)  # value -> the node that computes it

    def __post_init__(self) -> None:
        consumers: dict[str, list[tuple[GraphNode, int]]] = defaultdict(list)
        for node in self.nodes:
            for slot, value in enumerate(node.inputs):
                consumers[value].append((node, slot))
            for value in node.outputs:
                self.producers[value] = node
        self.consumers = dict(consumers)


def _onnx() -> Any:
    try:
        import onnx
    except ImportError as error:
        raise PretrainedImportError("reading an ONNX voice needs the onnx package: pip install 'polyvox[onnx]'") from error
    return onnx


def read_onnx_graph(path: Path) -> OnnxGraph:
    """The graph of ``path``; weights stored outside the file (external data) are refused, not followed."""
    onnx = _onnx()
    from google.protobuf.message import DecodeError  # protobuf comes with onnx
    from onnx import numpy_helper

    try:
        model = onnx.load(str(path), load_external_data=False)
    except (OSError, ValueError, DecodeError) as error:
        raise PretrainedImportError(f"{path} is not a readable ONNX graph ({error}); the file may be truncated") from error
    graph = model.graph
    external = [tensor.name for tensor in graph.initializer if tensor.data_location == onnx.TensorProto.EXTERNAL]
    if external:
        raise PretrainedImportError(
            f"{path} keeps {len(external)} weights in external data files ({external[0]}, ...); "
            "save it as one file (onnx.save(model, path, save_as_external_data=False)) and import that"
        )
    initializers = {tensor.name: torch.from_numpy(np.array(numpy_helper.to_array(tensor), copy=True)) for tensor in graph.initializer}
    nodes = [
        GraphNode(
            node.op_type, node.name, tuple(node.input), tuple(node.output),
            {attribute.name: onnx.helper.get_attribute_value(attribute) for attribute in node.attribute},
        )
        for node in graph.node
    ]
    inputs = tuple(value.name for value in graph.input if value.name not in initializers)
    producer = f"{model.producer_name} {model.producer_version}".strip() or "unknown"
    return OnnxGraph(initializers, nodes, inputs, tuple(value.name for value in graph.output), producer)
