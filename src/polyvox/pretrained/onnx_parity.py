"""The same noise through a Piper graph (onnxruntime) and through its import (PyTorch), for parity checks.

Piper's graph draws its noise with two ``RandomNormalLike`` nodes: the duration predictor's (batch, 2, phonemes)
and the prior's (batch, inter_channels, frames). In a copy of the graph each is replaced by a slice of a new
input of that shape's leading corner, so both engines can be given one array: the imported voice reads the same
corner of it. Needs ``onnx`` and ``onnxruntime``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

DURATION_NOISE = "duration_noise"
PRIOR_NOISE = "prior_noise"
_AXES = (0, 1, 2)


@dataclass(frozen=True)
class PiperInputs:
    piper_ids: list[int]  # the graph's phoneme ids
    noise_scale: float
    length_scale: float
    noise_w: float
    speaker: int | None = None  # the graph's speaker id (multi-speaker graphs)


def _constant(name: str, values: list[int]) -> Any:
    from onnx import numpy_helper

    return numpy_helper.from_array(np.array(values, dtype=np.int64), name)


def with_noise_inputs(model: Any) -> Any:
    """A copy of ``model`` whose RandomNormalLike nodes read ``duration_noise`` / ``prior_noise`` inputs instead."""
    import onnx
    from onnx import helper

    model = onnx.ModelProto.FromString(model.SerializeToString())
    graph = model.graph
    nodes = list(graph.node)
    replaced = 0
    for index, node in enumerate(nodes):
        if node.op_type != "RandomNormalLike":
            continue
        attributes = {attribute.name: helper.get_attribute_value(attribute) for attribute in node.attribute}
        if attributes.get("mean", 0.0) != 0.0 or attributes.get("scale", 1.0) != 1.0:
            raise ValueError(f"{node.name} draws from N({attributes.get('mean')}, {attributes.get('scale')}); only N(0, 1) is reproduced")
        noise = DURATION_NOISE if node.name.lstrip("/").startswith("dp/") else PRIOR_NOISE
        tag = f"parity_{replaced}"
        graph.initializer.extend([_constant(f"{tag}_starts", [0, 0, 0]), _constant(f"{tag}_axes", list(_AXES))])
        shape = helper.make_node("Shape", [node.input[0]], [f"{tag}_shape"], name=f"{tag}_Shape")
        corner = helper.make_node("Slice", [noise, f"{tag}_starts", f"{tag}_shape", f"{tag}_axes"], [node.output[0]], name=f"{tag}_Slice")
        nodes[index] = shape
        nodes.insert(index + 1, corner)
        replaced += 1
    if replaced == 0:
        raise ValueError("the graph has no RandomNormalLike node to replace")
    del graph.node[:]
    graph.node.extend(nodes)
    for name in (DURATION_NOISE, PRIOR_NOISE):
        graph.input.append(helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, ["batch", "channels", "length"]))
    return model


def run_graph(model: Any, inputs: PiperInputs, duration_noise: np.ndarray, prior_noise: np.ndarray, threads: int = 1) -> np.ndarray:
    """Samples (1-D) of a noise-input graph from ``with_noise_inputs`` under onnxruntime."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    session = onnxruntime.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    feed = {
        "input": np.array([inputs.piper_ids], dtype=np.int64),
        "input_lengths": np.array([len(inputs.piper_ids)], dtype=np.int64),
        "scales": np.array([inputs.noise_scale, inputs.length_scale, inputs.noise_w], dtype=np.float32),
        DURATION_NOISE: duration_noise.astype(np.float32),
        PRIOR_NOISE: prior_noise.astype(np.float32),
    }
    if inputs.speaker is not None:
        feed["sid"] = np.array([inputs.speaker], dtype=np.int64)
    (audio,) = session.run(["output"], feed)
    return np.asarray(audio, dtype=np.float32).reshape(-1)


@torch.no_grad()
def run_imported(
    generator: torch.nn.Module, polyvox_ids: list[int], inputs: PiperInputs, duration_noise: np.ndarray, prior_noise: np.ndarray
) -> np.ndarray:
    """Samples (1-D) of the imported generator given the same noise arrays (their leading corners)."""
    ids = torch.tensor([polyvox_ids])
    speaker = torch.tensor([inputs.speaker or 0])
    prior = generator.encode_prior(
        ids, torch.zeros_like(ids), torch.tensor([ids.shape[1]]), speaker, length_scale=inputs.length_scale,
        noise_scale_duration=inputs.noise_w, duration_noise=torch.from_numpy(duration_noise[:, :, : ids.shape[1]]).float(),
    )
    frames = prior.means.shape[2]
    latent = generator.sample_prior(prior, inputs.noise_scale, noise=torch.from_numpy(prior_noise[:, : prior.means.shape[1], :frames]).float())
    return generator.decode_latent(latent, prior.frame_mask, prior.speaker).reshape(-1).numpy()


def load_graph(path: Path) -> Any:
    import onnx

    return onnx.load(str(path))
