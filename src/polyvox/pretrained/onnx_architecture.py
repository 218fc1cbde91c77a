"""A VITS-family generator's hyper-parameters read off an exported graph: weight shapes and node attributes.

An inference graph has no config: widths and kernel sizes are in the weights' shapes, up-sampling strides and
dilations in the attributes of the nodes that read them. Settings only training uses (spectrogram size, segment
length) are not in the graph; Piper's values for them are taken.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from torch import Tensor

from polyvox.pretrained.architecture import FLOW_KERNEL_SIZE, RELATIVE_WINDOW_SIZE, SourceArchitecture
from polyvox.pretrained.errors import PretrainedImportError
from polyvox.pretrained.onnx_graph import GraphNode, OnnxGraph

# Piper trains every voice with these (piper_train's defaults); the graph does not record them.
PIPER_FILTER_LENGTH = 1024
PIPER_MEL_CHANNELS = 80
PIPER_SEGMENT_SIZE = 8192
PIPER_DROPOUT = 0.1


def _count(tensors: dict[str, Tensor], pattern: str) -> int:
    """How many consecutive indices ``i`` (from 0) have a tensor named ``pattern.format(i)``."""
    index = 0
    while pattern.format(index) in tensors:
        index += 1
    return index


def _reading_node(graph: OnnxGraph, initializer: str, op_type: str, source: str) -> GraphNode:
    for node, _ in graph.consumers.get(initializer, []):
        if node.op_type == op_type:
            return node
    raise PretrainedImportError(f"{source}: no {op_type} node reads {initializer}; the graph is not a VITS-family generator")


def _single(values: Sequence[int], what: str, source: str) -> int:
    if len(set(values)) != 1:
        raise PretrainedImportError(f"{source}: {what} {list(values)} differ along the axis; polyvox's layers have one")
    return int(values[0])


def _needed(tensors: dict[str, Tensor], name: str, source: str) -> Tensor:
    if name not in tensors:
        raise PretrainedImportError(f"{source} has no {name}: it is not a VITS-family generator graph polyvox can rebuild")
    return tensors[name]


def _decoder(tensors: dict[str, Tensor], graph: OnnxGraph, initializer_of: dict[str, str], source: str) -> dict[str, object]:
    n_ups = _count(tensors, "dec.ups.{}.weight")
    n_blocks = _count(tensors, "dec.resblocks.{}.convs.0.weight") or _count(tensors, "dec.resblocks.{}.convs1.0.weight")
    if n_ups == 0 or n_blocks == 0 or n_blocks % n_ups:
        raise PretrainedImportError(
            f"{source}: its decoder has {n_ups} up-sampling layers and {n_blocks} residual blocks; polyvox needs k blocks per layer"
        )
    resblock_type = "2" if "dec.resblocks.0.convs.0.weight" in tensors else "1"
    convs = "convs" if resblock_type == "2" else "convs1"
    rates, kernels = [], []
    for index in range(n_ups):
        name = f"dec.ups.{index}.weight"
        node = _reading_node(graph, initializer_of[name], "ConvTranspose", source)
        rates.append(_single(node.attributes.get("strides", [1]), f"{name} strides", source))
        kernels.append(int(tensors[name].shape[2]))
    block_kernels, block_dilations = [], []
    for block in range(n_blocks // n_ups):
        n_convs = _count(tensors, f"dec.resblocks.{block}.{convs}.{{}}.weight")
        block_kernels.append(int(tensors[f"dec.resblocks.{block}.{convs}.0.weight"].shape[2]))
        dilations = []
        for position in range(n_convs):
            name = f"dec.resblocks.{block}.{convs}.{position}.weight"
            node = _reading_node(graph, initializer_of[name], "Conv", source)
            dilations.append(_single(node.attributes.get("dilations", [1]), f"{name} dilations", source))
        block_dilations.append(tuple(dilations))
    return {
        "resblock_type": resblock_type, "resblock_kernel_sizes": tuple(block_kernels), "resblock_dilations": tuple(block_dilations),
        "upsample_rates": tuple(rates), "upsample_kernel_sizes": tuple(kernels),
        "upsample_initial_channel": int(_needed(tensors, "dec.conv_pre.weight", source).shape[0]),
    }


def _check_flows(tensors: dict[str, Tensor], graph: OnnxGraph, initializer_of: dict[str, str], source: str) -> tuple[int, int]:
    """(coupling layers, WaveNet layers per coupling); refuses kernels and dilations polyvox's flow does not have."""
    n_flows = len([name for name in tensors if re.fullmatch(r"flow\.flows\.\d+\.pre\.weight", name)])
    layers = _count(tensors, "flow.flows.0.enc.in_layers.{}.weight")
    if n_flows == 0 or layers == 0:
        raise PretrainedImportError(f"{source} has no WaveNet flow (flow.flows.N.enc.in_layers): polyvox imports VITS's residual coupling flow")
    for name in (f"flow.flows.0.enc.in_layers.{layer}.weight" for layer in range(layers)):
        kernel = int(tensors[name].shape[2])
        dilation = _single(_reading_node(graph, initializer_of[name], "Conv", source).attributes.get("dilations", [1]), f"{name} dilations", source)
        if kernel != FLOW_KERNEL_SIZE or dilation != 1:
            raise PretrainedImportError(
                f"{source}: flow layer {name} has kernel {kernel} and dilation {dilation}; polyvox's flow has kernel {FLOW_KERNEL_SIZE}, dilation 1"
            )
    return n_flows, layers


def architecture_from_graph(
    tensors: dict[str, Tensor], graph: OnnxGraph, initializer_of: dict[str, str], sample_rate: int, source: str
) -> SourceArchitecture:
    """The architecture of the generator whose weights (under VITS's state-dict names) are ``tensors``."""
    hidden = int(_needed(tensors, "enc_p.emb.weight", source).shape[1])
    relative_keys = _needed(tensors, "enc_p.encoder.attn_layers.0.emb_rel_k", source)
    window = (int(relative_keys.shape[1]) - 1) // 2
    if window != RELATIVE_WINDOW_SIZE:
        raise PretrainedImportError(
            f"{source}: its attention sees {window} positions either side; polyvox's relative attention sees {RELATIVE_WINDOW_SIZE}"
        )
    expand = _needed(tensors, "enc_p.encoder.ffn_layers.0.conv_1.weight", source)
    decoder = _decoder(tensors, graph, initializer_of, source)
    n_flows, flow_layers = _check_flows(tensors, graph, initializer_of, source)
    speaker_channels = int(tensors["emb_g.weight"].shape[1]) if "emb_g.weight" in tensors else 0
    hop = 1
    for rate in decoder["upsample_rates"]:  # type: ignore[union-attr]
        hop *= int(rate)
    n_fft = max(PIPER_FILTER_LENGTH, 4 * hop)
    return SourceArchitecture(
        sample_rate=sample_rate, n_fft=n_fft, win_length=n_fft, hop_length=hop, n_mels=PIPER_MEL_CHANNELS, mel_fmin=0.0, mel_fmax=None,
        inter_channels=int(_needed(tensors, "enc_p.proj.weight", source).shape[0]) // 2,
        hidden_channels=hidden, filter_channels=int(expand.shape[0]), n_heads=hidden // int(relative_keys.shape[2]),
        n_layers=_count(tensors, "enc_p.encoder.attn_layers.{}.conv_q.weight"), kernel_size=int(expand.shape[2]), dropout=PIPER_DROPOUT,
        speaker_channels=speaker_channels, segment_size=PIPER_SEGMENT_SIZE, n_flows=n_flows, flow_layers=flow_layers,
        **decoder,  # type: ignore[arg-type]
    )
