"""``export_onnx``: a voice file -> three ONNX graphs (full, encoder, decoder) and ``voice.onnx.json``.

The graphs are traced with torch's TorchScript-based exporter (``dynamo=False``; deprecated since
torch 2.9 but present in 2.13). The frame count of a sentence is the sum of its predicted durations, a
size that depends on the data: tracing records it as the graph computes it (cumulative sums, ``arange``
of a tensor). The ``torch.export``-based exporter also handles it, but needs onnxscript (one more
dependency), fixes every axis of size 1 in the example (the batch, unless traced with two items), and
took 48 s for the tiny test voice's encoder where tracing takes about one. After writing, each graph is
run by onnxruntime on inputs of other lengths and batch sizes than the traced ones and compared with
PyTorch, so a shape frozen by tracing fails the export instead of a user's synthesis. A quantized
graph (``quantize``, see ``quantize.py``) is then run again and must give finite outputs, and every
graph's operators are checked against onnxruntime-web's and onnxruntime-mobile's (``operator_check.py``).
A style voice's graphs take the style vector as an input; its label rows and neutral style go in the json
(``style_tables.py``); its style encoder (a reference clip's log-mel -> style) is one more graph and a style sampler
two more (``style_graphs.py``). A text-feature voice's text graphs take each id's features as one more input (the
engine computes them with the voice's own model; the json names that model), traced with made-up features; the export
needs no model folder. The decoder graph of a voice with a harmonic source takes the source's phase and gives the F0 it
read (``metadata.SOURCE_INPUTS``), so an engine carries the phase from one streamed window to the next.
"""

from __future__ import annotations

import copy
import importlib.util
import io
import logging
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn
from torch.nn.utils import parametrize
from tqdm import tqdm

from polyvox.errors import PolyvoxError
from polyvox.export.feature_graphs import FeaturedStyleConditionGraph
from polyvox.export.graphs import DecoderGraph, EncoderGraph, FullGraph
from polyvox.export.style_graphs import StyleConditionGraph, StyleEncoderGraph, StyleVelocityGraph
from polyvox.export.operator_check import MOBILE_OPSET, UnsupportedOperator, unsupported_operators
from polyvox.export.quantize import Quantization, check_quantization, quantize_graph
from polyvox.inference.style import style_tables
from polyvox.export.metadata import (
    DURATION_NOISE_CHANNELS,
    EXPORT_ID_KEY,
    FrameReach,
    GRAPH_KEY,
    ONNX_INSTALL_HINT,
    SOURCE_INPUTS,
    SOURCE_OUTPUT,
    STYLE_INPUT,
    TEXT_FEATURES_INPUT,
    GraphFile,
    OnnxVoiceMetadata,
    StreamingContext,
    graph_file_names,
    graph_interface,
    metadata_path,
    write_metadata,
)
from polyvox.files import atomic_path
from polyvox.models.receptive_field import LatentContext
from polyvox.models.vits import VitsGenerator
from polyvox.synthesis_settings import STANDARD
from polyvox.text.prosody import N_PROSODY_IDS

if TYPE_CHECKING:
    import onnxruntime

    from polyvox.inference.voice import Voice

logger = logging.getLogger(__name__)

# The newest opset onnxruntime-mobile's reduced build has kernels for; it has every operator the graphs
# need (LayerNormalization is written as its parts, which onnxruntime fuses back) and ran as fast as 17.
DEFAULT_OPSET = MOBILE_OPSET
# Largest difference to PyTorch accepted by the check after export (float32 graphs agree to ~1e-5).
CHECK_TOLERANCE = 1e-3


@dataclass(frozen=True)
class Example:
    """Inputs made up for tracing or checking a graph: text lengths of a batch, a seed, the decoder's trim, and for a
    harmonic source its phase and the decoder frame it is at."""

    text_lengths: tuple[int, ...]
    seed: int
    trim: tuple[int, int]
    source_phase: float = 0.0
    source_lead: int = 0


TRACE_EXAMPLE = Example((23,), seed=0, trim=(0, 0), source_phase=0.25, source_lead=3)
# Other lengths, batch sizes, trims and phases than the trace, so a size frozen by tracing shows.
CHECK_EXAMPLES = (
    Example((11,), seed=1, trim=(2, 1), source_phase=0.7, source_lead=5), Example((37, 12), seed=2, trim=(0, 3)),
)

DYNAMIC_AXES = {
    "phoneme_ids": {0: "batch", 1: "text"},
    "language_ids": {0: "batch", 1: "text"},
    "prosody_ids": {0: "batch", 1: "text"},
    "text_lengths": {0: "batch"},
    "speaker_ids": {0: "batch"},
    "length_scale": {0: "batch"},
    "noise_scale_duration": {0: "batch"},
    "noise_scale": {0: "batch"},
    "duration_noise": {0: "batch", 2: "text"},
    "prior_noise": {0: "batch", 2: "noise_frames"},
    "prior_means": {0: "batch", 2: "frames"},
    "prior_log_scales": {0: "batch", 2: "frames"},
    "frame_mask": {0: "batch", 2: "frames"},
    "frame_lengths": {0: "batch"},
    "durations": {0: "batch", 1: "text"},
    "latent": {0: "batch", 2: "frames"},
    "waveform": {0: "batch", 2: "samples"},
    "sample_lengths": {0: "batch"},
    STYLE_INPUT: {0: "batch"},
    TEXT_FEATURES_INPUT: {0: "batch", 1: "text"},
    SOURCE_INPUTS[0]: {0: "batch"},
    SOURCE_OUTPUT: {0: "batch", 1: "decoder_frames"},
    "styles": {0: "batch"},
    "times": {0: "batch"},
    "style_condition": {0: "batch"},
    "conditioned_velocity": {0: "batch"},
    "free_velocity": {0: "batch"},
    "reference_mel": {0: "batch", 2: "mel_frames"},
    "clip_style": {0: "batch"},
}


class OnnxExportError(PolyvoxError, RuntimeError):
    """The exported graphs do not reproduce the PyTorch model; the message names the graph and the difference."""


@dataclass(frozen=True)
class ExportedVoice:
    metadata_path: Path
    graph_paths: dict[str, Path]  # "full" / "encoder" / "decoder" (and "style_encoder", "style_condition", "style_velocity")
    metadata: OnnxVoiceMetadata
    # Operators of the graphs that onnxruntime-web or onnxruntime-mobile lacks (each logged as a warning).
    unsupported: tuple[UnsupportedOperator, ...] = ()


def inference_copy(generator: nn.Module) -> nn.Module:
    """A copy in eval mode with every weight-norm parametrization folded into a plain weight (same outputs)."""
    generator = copy.deepcopy(generator).eval()
    for module in generator.modules():
        if parametrize.is_parametrized(module, "weight"):
            parametrize.remove_parametrizations(module, "weight", leave_parametrized=True)
    return generator


def _text_inputs(generator: VitsGenerator, n_symbols: int, n_languages: int, example: Example) -> dict[str, torch.Tensor]:
    """A padded batch of random ids with per-item scales and duration noise, by input name."""
    random = torch.Generator().manual_seed(example.seed)
    batch, text_len = len(example.text_lengths), max(example.text_lengths)
    lengths = torch.tensor(example.text_lengths)
    ids = torch.randint(min(4, n_symbols - 1), n_symbols, (batch, text_len), generator=random)  # past the reserved ids
    return {
        "phoneme_ids": ids * (torch.arange(text_len)[None, :] < lengths[:, None]),
        "language_ids": torch.randint(0, n_languages, (batch, text_len), generator=random),
        "text_lengths": lengths,
        "speaker_ids": torch.randint(0, generator.config.n_speakers, (batch,), generator=random),
        "length_scale": torch.linspace(1.0, 1.2, batch),
        "noise_scale_duration": torch.full((batch,), STANDARD.noise_scale_duration),
        "noise_scale": torch.full((batch,), STANDARD.noise_scale),
        "duration_noise": torch.randn(batch, DURATION_NOISE_CHANNELS, text_len, generator=random),
        # Roughly as many frames as a sentence of that length has; the full graph copes with any count.
        "prior_noise": torch.randn(batch, generator.config.inter_channels, 4 * text_len, generator=random),
        "prosody_ids": torch.randint(0, N_PROSODY_IDS, (batch, text_len), generator=random),
        # Within the style encoder's (-1, 1) box; drawn last, so the other inputs are those of a voice without style.
        **({STYLE_INPUT: torch.tanh(torch.randn(batch, generator.config.style.style_channels, generator=random))}
           if generator.style_encoder is not None else {}),
    }


def _sampler_inputs(generator: VitsGenerator, batch: int, seed: int) -> dict[str, torch.Tensor]:
    """A point of the sampler's flow: styles, times in [0, 1) and a condition of the sampler's width."""
    random = torch.Generator().manual_seed(seed + 1000)  # apart from the text inputs' draws
    width = generator.style_sampler.condition_projection.in_features
    return {
        "styles": torch.randn(batch, generator.config.style.style_channels, generator=random),
        "times": torch.rand(batch, generator=random),
        "style_condition": torch.randn(batch, width, generator=random),
    }


def _reference_mel(generator: VitsGenerator, example: Example) -> torch.Tensor:
    """A made-up log-mel (batch, n_mels, frames) around speech's level, its length apart from the text's."""
    random = torch.Generator().manual_seed(example.seed + 2000)  # apart from the text and sampler inputs' draws
    n_mels = generator.style_encoder.encoder.convolutions[0].in_channels
    frames = 3 * max(example.text_lengths) + 5
    return torch.randn(len(example.text_lengths), n_mels, frames, generator=random) * 3.0 - 5.0


def _text_features(generator: VitsGenerator, example: Example) -> torch.Tensor:
    """Made-up features (batch, text_len, dim) of a text-feature voice's ids, around a BERT hidden state's scale."""
    random = torch.Generator().manual_seed(example.seed + 3000)  # apart from the other inputs' draws
    shape = (len(example.text_lengths), max(example.text_lengths), generator.config.text_features.dim)
    return torch.randn(*shape, generator=random)


def _graph_inputs(kind: str, generator: VitsGenerator, n_symbols: int, n_languages: int, example: Example) -> dict[str, torch.Tensor]:
    """The inputs of graph ``kind``, in the order of its interface."""
    inputs = _text_inputs(generator, n_symbols, n_languages, example)
    featured = generator.config.text_features.enabled
    if featured:
        inputs[TEXT_FEATURES_INPUT] = _text_features(generator, example)
    frames = 2 * max(example.text_lengths)
    inputs["latent"] = inputs["prior_noise"][..., :frames]
    inputs["frame_mask"] = (torch.arange(frames)[None, None, :] < 2 * torch.tensor(example.text_lengths)[:, None, None]).float()
    inputs["trim"] = torch.tensor(example.trim)
    inputs["source_phase"] = torch.full((len(example.text_lengths),), example.source_phase)
    inputs["source_lead"] = torch.tensor([example.source_lead])
    if generator.style_sampler is not None:
        inputs.update(_sampler_inputs(generator, len(example.text_lengths), example.seed))
    if generator.style_encoder is not None:
        inputs["reference_mel"] = _reference_mel(generator, example)
    sourced = generator.decoder.harmonic_source is not None
    return {name: inputs[name] for name in graph_interface(kind, generator.style_encoder is not None, featured, sourced)[0]}


def _trace(module: nn.Module, kind: str, inputs: dict[str, torch.Tensor], opset: int, export_id: str) -> bytes:
    """The graph as ONNX bytes, with the export id and its kind in the model's metadata."""
    import onnx

    input_names, output_names = graph_interface(
        kind, STYLE_INPUT in inputs, TEXT_FEATURES_INPUT in inputs, SOURCE_INPUTS[0] in inputs
    )
    # Text features and a source's inputs go by name (torch's trailing dict of keyword inputs): they follow an input a
    # voice may lack.
    by_name = {name: value for name, value in inputs.items() if name in (TEXT_FEATURES_INPUT, *SOURCE_INPUTS)}
    arguments = tuple(value for name, value in inputs.items() if name not in by_name)
    if by_name:
        arguments = (*arguments, by_name)
    buffer = io.BytesIO()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.onnx.export(
            module.eval(), arguments, buffer, dynamo=False, opset_version=opset,
            input_names=list(input_names), output_names=list(output_names),
            dynamic_axes={name: DYNAMIC_AXES[name] for name in (*input_names, *output_names) if name in DYNAMIC_AXES},
        )
    for warning in caught:  # tracer notes on constant checks; the run-time check below is what counts
        logger.debug("%s graph: %s: %s", kind, warning.category.__name__, str(warning.message).splitlines()[0])
    model = onnx.load_from_string(buffer.getvalue())
    for key, value in ((EXPORT_ID_KEY, export_id), (GRAPH_KEY, kind)):
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    return model.SerializeToString()


def _session(graph: bytes) -> onnxruntime.InferenceSession:
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1  # small inputs; cores may be busy
    return onnxruntime.InferenceSession(graph, options, providers=["CPUExecutionProvider"])


def _check(session: onnxruntime.InferenceSession, module: nn.Module, kind: str, inputs: dict[str, torch.Tensor]) -> None:
    """Run the graph in onnxruntime and PyTorch on the same inputs; raise ``OnnxExportError`` if they differ."""
    feed = {item.name: inputs[item.name].numpy() for item in session.get_inputs()}
    onnx_outputs = session.run(None, feed)
    with torch.no_grad():
        torch_outputs = module(**inputs)
    torch_outputs = torch_outputs if isinstance(torch_outputs, tuple) else (torch_outputs,)
    for name, expected, got in zip((item.name for item in session.get_outputs()), torch_outputs, onnx_outputs):
        expected = expected.numpy()
        if expected.shape != got.shape:
            raise OnnxExportError(f"the exported {kind} graph gives {name} of shape {got.shape}, PyTorch {expected.shape}")
        difference = float(np.max(np.abs(expected.astype(np.float64) - got))) if expected.size else 0.0
        if difference > CHECK_TOLERANCE:
            raise OnnxExportError(f"the exported {kind} graph's {name} differs from PyTorch by up to {difference:.3g}")


def _check_quantized(session: onnxruntime.InferenceSession, kind: str, inputs: dict[str, torch.Tensor]) -> None:
    """A quantized graph may round a duration differently (other shapes): it must only run and stay finite."""
    feed = {item.name: inputs[item.name].numpy() for item in session.get_inputs()}
    for name, got in zip((item.name for item in session.get_outputs()), session.run(None, feed)):
        if not np.isfinite(got).all():
            raise OnnxExportError(f"the quantized {kind} graph's {name} is not finite: export without --quantize")


def _unsupported(graph: bytes) -> list[UnsupportedOperator]:
    import onnx

    return unsupported_operators(onnx.load_from_string(graph))


@torch.no_grad()
def _voice(voice_path: str | Path) -> Voice:
    """The voice to export; a text-feature voice without its model folder (its graphs take the features as an input,
    so only the engine that speaks needs the folder)."""
    from polyvox.inference.voice import Voice
    from polyvox.voice_check import check_voice_tensors
    from polyvox.voice_file import build_generator, load_voice_file, read_metadata

    if not read_metadata(voice_path).config.model.text_features.enabled:
        return Voice.load(voice_path)
    tensors, metadata = load_voice_file(voice_path)
    generator = build_generator(metadata)
    check_voice_tensors(generator, tensors, voice_path)
    generator.load_state_dict(tensors)
    return Voice(generator, metadata)


def export_onnx(
    voice_path: str | Path, output: str | Path, opset: int = DEFAULT_OPSET, quantize: Quantization | None = None
) -> ExportedVoice:
    """Export the voice file at ``voice_path``: ``output`` (the full graph), ``<stem>.encoder.onnx``,
    ``<stem>.decoder.onnx`` and ``<output>.json``, all next to each other, each written atomically; a style voice also
    ``<stem>.style_encoder.onnx``, and one with a style sampler ``<stem>.style_condition.onnx`` and
    ``<stem>.style_velocity.onnx``.
    ``quantize`` ("int8", "fp16") stores the weights smaller; inputs and outputs stay float32.

    Raises ``VoiceFileError`` for a bad voice file, ``OnnxExportError`` if a graph does not reproduce PyTorch,
    ``QuantizeError`` for a quantization that is not offered.
    """
    if quantize is not None:
        check_quantization(quantize)
    for package in ("onnx", "onnxruntime"):  # both are needed below: say so before any work
        if importlib.util.find_spec(package) is None:
            raise OnnxExportError(f"ONNX export needs the {package} package: {ONNX_INSTALL_HINT}")
    output = Path(output)
    voice = _voice(voice_path)
    generator = inference_copy(voice.generator)
    n_symbols, n_languages = len(voice.symbols), len(voice.languages)
    export_id = uuid.uuid4().hex
    names = graph_file_names(output)
    wrappers = {"full": FullGraph(generator), "encoder": EncoderGraph(generator), "decoder": DecoderGraph(generator)}
    if generator.style_encoder is not None:
        wrappers["style_encoder"] = StyleEncoderGraph(generator)
    if generator.style_sampler is not None:
        condition = FeaturedStyleConditionGraph if generator.config.text_features.enabled else StyleConditionGraph
        wrappers |= {"style_condition": condition(generator), "style_velocity": StyleVelocityGraph(generator)}
    paths: dict[str, Path] = {}
    graphs: dict[str, GraphFile] = {}
    unsupported: dict[str, UnsupportedOperator] = {}
    for kind, module in tqdm(wrappers.items(), desc="export", unit="graph"):
        graph = _trace(module, kind, _graph_inputs(kind, generator, n_symbols, n_languages, TRACE_EXAMPLE), opset, export_id)
        session = _session(graph)
        for example in CHECK_EXAMPLES:
            _check(session, module, kind, _graph_inputs(kind, generator, n_symbols, n_languages, example))
        if quantize is not None:
            graph = quantize_graph(graph, quantize)
            session = _session(graph)
            for example in CHECK_EXAMPLES:
                _check_quantized(session, kind, _graph_inputs(kind, generator, n_symbols, n_languages, example))
        for problem in _unsupported(graph):
            unsupported.setdefault(problem.describe(), problem)
        graphs[kind] = GraphFile(
            names[kind], tuple(item.name for item in session.get_inputs()), tuple(item.name for item in session.get_outputs())
        )
        paths[kind] = output.with_name(names[kind])
        with atomic_path(paths[kind]) as temporary:
            temporary.write_bytes(graph)
    context = LatentContext.for_model(voice.metadata.config.model)
    metadata = OnnxVoiceMetadata(
        export_id=export_id,
        graphs=graphs,
        config=voice.metadata.config,
        symbols=voice.symbols,
        languages=voice.languages,
        speakers=voice.speakers,
        streaming=StreamingContext(
            FrameReach(context.flow.left, context.flow.right), FrameReach(context.decoder.left, context.decoder.right)
        ),
        opset=opset,
        info={**voice.metadata.info, "exported_from": Path(voice_path).name, **({"quantization": quantize} if quantize else {})},
        style=style_tables(generator),
    )
    json_path = write_metadata(metadata_path(output), metadata)  # last: the graphs it names are complete
    logger.info("exported %s to %s (%s)", voice_path, json_path, ", ".join(str(path) for path in paths.values()))
    for line in unsupported:
        logger.warning("%s", line)
    return ExportedVoice(metadata_path=json_path, graph_paths=paths, metadata=metadata, unsupported=tuple(unsupported.values()))
