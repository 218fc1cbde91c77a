"""A released Piper voice: the exported ``.onnx`` graph and its ``.onnx.json``.

The graph's initializers are matched to Piper's state-dict names (``onnx_weights``), the architecture is read
off their shapes and the nodes' attributes (``onnx_architecture``), and the voice's tables and settings come from
the JSON as for a Piper ``.ckpt``. The graph holds the inference path only: the posterior encoder and the duration
predictor's training flows are new.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from torch import Tensor

from polyvox.voice_file import VoiceMetadata
from polyvox.pretrained.common import duration_roles_of
from polyvox.pretrained.errors import PretrainedImportError
from polyvox.pretrained.onnx_architecture import architecture_from_graph
from polyvox.pretrained.onnx_graph import OnnxGraph
from polyvox.pretrained.onnx_weights import SPEAKER_INPUT, ResolvedWeights
from polyvox.pretrained.piper import plan_piper_voice
from polyvox.pretrained.plan import ImportPlan
from polyvox.pretrained.reading import read_json
from polyvox.pretrained.report import ImportReport

LAYOUT = "Piper ONNX"
# Piper's export: phoneme ids, their count, [noise_scale, length_scale, noise_w], and the speaker id when it has several.
PIPER_INPUTS = ("input", "input_lengths", "scales")
_NOT_IN_GRAPH = "not in the inference graph"
_SKIPPED = "sampling skips it (it only moves the discarded auxiliary channel), so any weights give the same durations"
TRAINING_ONLY = {
    "posterior_encoder": (
        f"{_NOT_IN_GRAPH} (training reads it, synthesis does not): initialised as in a new polyvox model (seed 0); fine-tuning trains it"
    ),
    **{
        f"stochastic_duration_predictor.{module}": f"{_NOT_IN_GRAPH} (the duration posterior is used in training only): initialised (seed 0)"
        for module in ("duration_input_projection", "duration_output_projection", "duration_convs", "posterior_flows")
    },
    # Sampling runs the flows in reverse and leaves out the first spline coupling, which moves only the auxiliary
    # channel that is dropped afterwards, so the exporter never saw it and any weights give the same durations.
    "stochastic_duration_predictor.flows.1": f"{_NOT_IN_GRAPH}: {_SKIPPED}; initialised (seed 0)",
}


def default_voice_json(path: Path) -> Path:
    """Piper's convention: ``voice.onnx`` ships with ``voice.onnx.json``."""
    return path.with_name(path.name + ".json")


def _check_inputs(graph: OnnxGraph, weights: ResolvedWeights, path: Path) -> list[str]:
    """Refuses speaker inputs without a speaker table (and the reverse); notes inputs laid out otherwise than Piper's."""
    has_table = "emb_g.weight" in weights.tensors
    if SPEAKER_INPUT in graph.inputs and not has_table:
        raise PretrainedImportError(
            f"{path} takes a speaker id ({SPEAKER_INPUT!r}) but has no speaker table (emb_g): polyvox cannot rebuild its speakers"
        )
    if has_table and SPEAKER_INPUT not in graph.inputs:
        raise PretrainedImportError(f"{path} has a speaker table (emb_g) but no {SPEAKER_INPUT!r} input: it is not a Piper multi-speaker graph")
    expected = (*PIPER_INPUTS, SPEAKER_INPUT) if has_table else PIPER_INPUTS
    if graph.inputs != expected:
        return [
            f"the graph's inputs {list(graph.inputs)} are not Piper's {list(expected)}: the weights are imported, "
            "but the graph's own handling of its inputs is not checked"
        ]
    return []


def _check_json(voice_json: dict, weights: ResolvedWeights, json_path: Path) -> int:
    """The sample rate; refuses a JSON whose symbol or speaker counts are not the graph's."""
    sample_rate = (voice_json.get("audio") or {}).get("sample_rate")
    if not isinstance(sample_rate, int) or sample_rate <= 0:
        raise PretrainedImportError(f"{json_path} has no audio.sample_rate: pass the .onnx.json Piper ships with this voice")
    rows = int(weights.tensors["enc_p.emb.weight"].shape[0])
    if voice_json.get("num_symbols") not in (None, rows):
        raise PretrainedImportError(
            f"{json_path} is for {voice_json['num_symbols']} symbols but the graph's table has {rows}: pass this voice's .onnx.json"
        )
    speakers = int(weights.tensors["emb_g.weight"].shape[0]) if "emb_g.weight" in weights.tensors else 1
    if voice_json.get("num_speakers") not in (None, speakers):
        raise PretrainedImportError(
            f"{json_path} is for {voice_json['num_speakers']} speakers but the graph has {speakers}: pass this voice's .onnx.json"
        )
    return sample_rate


def plan_piper_onnx(graph: OnnxGraph, weights: ResolvedWeights, path: Path, voice_json_path: Path | None, language: str | None) -> ImportPlan:
    if "enc_p.emb.weight" not in weights.tensors or "dec.conv_pre.weight" not in weights.tensors:
        found = sorted({name.split(".", 1)[0] for name in weights.tensors}) or ["no VITS-family module"]
        raise PretrainedImportError(
            f"{path} is an ONNX graph but not a VITS-family voice polyvox can import (modules found: {', '.join(found)}; "
            "polyvox imports Piper's exported voices: enc_p, dp, flow, dec)"
        )
    json_path = voice_json_path or default_voice_json(path)
    if voice_json_path is None and not json_path.is_file():
        raise PretrainedImportError(
            f"{path} is a Piper ONNX voice: pass the .onnx.json Piper ships with it (--config VOICE.onnx.json); {json_path.name} is not beside it"
        )
    voice_json = read_json(json_path, "Piper voice config")
    if "dp.flows.0.m" in weights.tensors and "dp.flows.0.logs" not in weights.tensors:
        raise PretrainedImportError(
            f"{path}: the duration predictor's affine flow has a shift (dp.flows.0.m) but its log-scale was not found in the "
            "graph (the exporter folded it in a way polyvox does not recognise); the voice cannot be rebuilt exactly"
        )
    notes = _check_inputs(graph, weights, path)
    sample_rate = _check_json(voice_json, weights, json_path)
    source = str(path)
    arch = architecture_from_graph(weights.tensors, graph, weights.initializer_of, sample_rate, source)
    roles = duration_roles_of(list(weights.tensors), {"dp": "deterministic"})
    arch = replace(arch, stochastic_weight=1.0 if "stochastic" in roles.values() else 0.0)
    # "untrained": what fine-tuning warms up before anything else trains (polyvox.finetune.warmup_plan).
    info = {"imported_from": "Piper ONNX", "source": path.name, "exporter": graph.producer, "untrained": ",".join(TRAINING_ONLY)}
    plan = plan_piper_voice(LAYOUT, dict(weights.tensors), arch, roles, voice_json, json_path, source, path, language, info)
    # The generic note and reason speak of a posterior encoder the source has; this graph has none.
    plan.notes = [note for note in plan.notes if not note.startswith("posterior encoder:")]
    plan.initialisation.pop("posterior_encoder.input_projection", None)
    plan.initialisation.update(TRAINING_ONLY)
    plan.notes.extend(notes)
    plan.notes.append(
        "the graph has the inference path only: the posterior encoder and the duration predictor's training flows are new "
        "(listed as missing); fine-tuning trains them"
    )
    if weights.found_as:
        plan.notes.append(
            f"{len(weights.found_as)} weights had no state-dict name in the graph and were found by the nodes reading them (see 'loaded')"
        )
    if weights.constants:
        plan.notes.append(
            f"{len(weights.constants)} initializers are the graph's own arithmetic (axes, shapes, scalars), not weights, and are not imported: "
            + ", ".join(weights.constants)
        )
    plan.other_tensors = {name: (tensor, "no VITS-family parameter reads it in this graph") for name, tensor in weights.unknown.items()}
    return plan


def show_initializers(report: ImportReport, weights: ResolvedWeights) -> ImportReport:
    """The report with each source named as the graph names it, and the state-dict name it was found to be."""

    def shown(source: str) -> str:
        initializer = weights.initializer_of.get(source, source)
        if initializer == source:
            return source
        return f"{initializer} = {source} ({weights.found_as[source]})" if source in weights.found_as else f"{initializer} = {source}"

    report.loaded = [replace(entry, sources=tuple(shown(source) for source in entry.sources)) for entry in report.loaded]
    report.unexpected = [replace(entry, source=shown(entry.source)) for entry in report.unexpected]
    report.shape_mismatched = [replace(entry, source=shown(entry.source)) for entry in report.shape_mismatched]
    return report


def import_piper_onnx(path: Path, voice_json_path: Path | None, language: str | None) -> tuple[dict[str, Tensor], VoiceMetadata, ImportReport]:
    """A Piper ``.onnx`` voice as polyvox tensors, metadata and report; the graph is read, never run."""
    from polyvox.pretrained.assemble import assemble
    from polyvox.pretrained.onnx_graph import read_onnx_graph
    from polyvox.pretrained.onnx_weights import resolve_weights

    graph = read_onnx_graph(path)
    weights = resolve_weights(graph)
    plan = plan_piper_onnx(graph, weights, path, voice_json_path, language)
    tensors, report = assemble(plan)
    return tensors, plan.metadata, show_initializers(report, weights)
