"""Importing released Piper voices (.onnx + .onnx.json): weights found by graph structure, same audio as onnxruntime."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from polyvox.voice_file import build_generator, read_metadata
from polyvox.cli import app
from polyvox.pretrained import PretrainedImportError, import_checkpoint
from polyvox.pretrained.onnx_parity import PiperInputs, load_graph, run_graph, run_imported, with_noise_inputs
from test_pretrained_piper_onnx_model import INTER, N_SYMBOLS, export_tiny_piper, phoneme_id_map

PIPER_IDS = [1, 0, 9, 0, 14, 0, 22, 0, 11, 0, 3, 0, 17, 0, 8, 0, 6, 0, 2]


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    path, model = export_tiny_piper(tmp_path_factory.mktemp("single"))
    return path, model, import_checkpoint(path)


@pytest.fixture(scope="module")
def multi(tmp_path_factory):
    path, model = export_tiny_piper(tmp_path_factory.mktemp("multi"), n_speakers=3)
    return path, model, import_checkpoint(path)


def _generator(imported):
    tensors, metadata, _ = imported
    generator = build_generator(metadata)
    generator.load_state_dict(tensors)
    return generator.eval()


def _polyvox_ids(metadata, piper_ids):
    by_row = {row: symbol for symbol, (row,) in phoneme_id_map().items()}
    return [metadata.symbols.id_of(by_row[row]) for row in piper_ids]


def _noise(seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((1, 2, 64)).astype(np.float32), rng.standard_normal((1, INTER, 4096)).astype(np.float32)


@pytest.mark.parametrize("scales", [(0.0, 1.0, 0.0), (0.667, 1.0, 0.8), (0.5, 1.3, 1.0)])
@pytest.mark.parametrize("speaker", [None, 2])
def test_same_audio_as_onnxruntime_for_the_same_noise(single, multi, scales, speaker):
    path, _, imported = multi if speaker is not None else single
    graph = with_noise_inputs(load_graph(path))
    inputs = PiperInputs(PIPER_IDS, *scales, speaker=speaker)
    duration_noise, prior_noise = _noise()
    expected = run_graph(graph, inputs, duration_noise, prior_noise)
    audio = run_imported(_generator(imported), _polyvox_ids(imported[1], PIPER_IDS), inputs, duration_noise, prior_noise)
    assert audio.shape == expected.shape and expected.size >= len(PIPER_IDS) * 256
    assert np.abs(audio - expected).max() < 1e-5 and np.abs(expected).max() > 1e-3


def test_every_weight_is_found_and_reported(single):
    path, model, (tensors, metadata, report) = single
    # Weight norm folded by the exporter (anonymous onnx::Conv_*), the symbol table named 'sid', -logs folded.
    found = {entry.target: entry.sources[0] for entry in report.loaded}
    assert found["text_encoder.symbol_embedding.weight"].startswith("sid = enc_p.emb.weight")
    assert found["flow.couplings.0.wavenet.input_convs.0.parametrizations.weight.original1"].startswith("onnx::Conv_")
    assert "-logs folded" in found["stochastic_duration_predictor.flows.0.log_scale"]
    assert torch.allclose(tensors["stochastic_duration_predictor.flows.0.log_scale"], model.dp.flows[0].logs.detach())
    assert torch.equal(tensors["decoder.conv_post.parametrizations.weight.original1"], model.dec.conv_post.weight.detach())
    # Every initializer is accounted for: imported, or named as the graph's own arithmetic.
    assert not report.unexpected and not report.shape_mismatched
    imported = {source.split(" = ")[0] for entry in report.loaded for source in entry.sources}
    arithmetic = " ".join(note for note in report.notes if "the graph's own arithmetic" in note)
    initializers = [initializer.name for initializer in load_graph(path).graph.initializer]
    assert all(name in imported or name in arithmetic for name in initializers)
    assert all(name in imported for name in initializers if name.startswith(("onnx::Conv", "onnx::Exp", "sid")))
    # What the inference graph lacks is listed as missing with the reason.
    missing = {entry.target: entry.initialisation for entry in report.missing}
    assert "not in the inference graph" in missing["posterior_encoder.wavenet.input_convs.0.bias"]
    assert "sampling skips it" in missing["stochastic_duration_predictor.flows.1.input_projection.weight"]
    assert metadata.info["imported_from"] == "Piper ONNX" and metadata.speakers == ("tiny",)


def test_architecture_is_read_off_the_graph(multi):
    _, _, (_, metadata, _) = multi
    model = metadata.config.model
    assert model.decoder.upsample_rates == (8, 8, 4) and model.decoder.upsample_kernel_sizes == (16, 16, 8)
    assert model.decoder.resblock_type == "2" and model.decoder.resblock_dilations == ((1, 2), (2, 6), (3, 12))
    assert model.decoder.resblock_kernel_sizes == (3, 5, 7) and model.decoder.initial_channels == 32
    assert model.text_encoder.n_heads == 2 and model.text_encoder.n_layers == 2 and model.text_encoder.filter_channels == 32
    assert model.speaker_channels == 8 and model.n_speakers == 3 and metadata.speakers == ("speaker_0", "speaker_1", "speaker_2")
    assert metadata.config.audio.sample_rate == 22050 and metadata.config.audio.hop_length == 256
    assert len(metadata.symbols) == len(phoneme_id_map()) and N_SYMBOLS == 40


def test_other_sample_rate_imports(tmp_path):
    path, _ = export_tiny_piper(tmp_path, sample_rate=16000)
    _, metadata, _ = import_checkpoint(path)
    assert metadata.config.audio.sample_rate == 16000


def _edit_json(path, **changes):
    json_path = path.with_name(path.name + ".json")
    data = json.loads(json_path.read_text(encoding="utf-8"))
    data.update(changes)
    json_path.write_text(json.dumps(data), encoding="utf-8")


def test_differing_graphs_are_refused_in_one_line(tmp_path, multi):
    path, _ = export_tiny_piper(tmp_path / "voice", n_speakers=3)
    _edit_json(path, num_speakers=5)
    with pytest.raises(PretrainedImportError, match=r"is for 5 speakers but the graph has 3") as raised:
        import_checkpoint(path)
    assert "\n" not in str(raised.value)
    _edit_json(path, num_speakers=3, audio={})
    with pytest.raises(PretrainedImportError, match="has no audio.sample_rate"):
        import_checkpoint(path)
    alone = tmp_path / "alone" / "voice.onnx"
    alone.parent.mkdir()
    alone.write_bytes(multi[0].read_bytes())
    with pytest.raises(PretrainedImportError, match=r"pass the \.onnx\.json Piper ships with it \(--config"):
        import_checkpoint(alone)


def test_speaker_table_without_speaker_input_is_refused(tmp_path):
    import onnx

    path, _ = export_tiny_piper(tmp_path, n_speakers=3)
    model = onnx.load(str(path))
    kept = [value for value in model.graph.input if value.name != "sid"]
    del model.graph.input[:]
    model.graph.input.extend(kept)
    onnx.save(model, str(path))
    with pytest.raises(PretrainedImportError, match=r"has a speaker table \(emb_g\) but no 'sid' input"):
        import_checkpoint(path)


def test_import_voice_command(single, tmp_path):
    path, _, _ = single
    output = tmp_path / "tiny.safetensors"
    result = CliRunner().invoke(app, ["import-voice", str(path), "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Piper ONNX checkpoint: loaded ")
    assert read_metadata(output).info["imported_from"] == "Piper ONNX"
    again = CliRunner().invoke(app, ["import-voice", str(path), "-o", str(output)])
    assert again.exit_code == 1 and "already exists" in again.output and "--overwrite" in again.output
    replaced = CliRunner().invoke(app, ["import-voice", str(path), "--config", str(path) + ".json", "-o", str(output), "--overwrite"])
    assert replaced.exit_code == 0, replaced.output


def test_weights_found_by_the_nodes_reading_them():
    """Hand-made graph: a MatMul weight folded as (in, out), a Gemm one kept (out, in), a bias-less Conv named by its
    node's module path, the speaker table by its Gather on 'sid', and a small constant of the graph's arithmetic."""
    from polyvox.pretrained.onnx_graph import GraphNode, OnnxGraph
    from polyvox.pretrained.onnx_weights import resolve_weights

    matmul, gemm, conv, table = torch.randn(3, 4), torch.randn(5, 4), torch.randn(1, 4, 7), torch.randn(2, 8)
    initializers = {
        "onnx::MatMul_1": matmul, "onnx::Gemm_2": gemm, "onnx::Conv_3": conv, "onnx::Gather_4": table, "/Constant_output_0": torch.ones(2),
    }
    nodes = [
        GraphNode("MatMul", "/dp/cond/MatMul", ("x", "onnx::MatMul_1"), ("a",), {}),
        GraphNode("Gemm", "/dp/proj/Gemm", ("a", "onnx::Gemm_2"), ("b",), {"transB": 1}),
        GraphNode("Conv", "/dec/conv_post/Conv", ("b", "onnx::Conv_3"), ("c",), {}),
        GraphNode("Gather", "/emb_g/Gather", ("onnx::Gather_4", "sid"), ("d",), {}),
        GraphNode("Reshape", "/Reshape", ("d", "/Constant_output_0"), ("y",), {}),
    ]
    resolved = resolve_weights(OnnxGraph(initializers, nodes, ("x", "sid"), ("y",), "test"))
    assert torch.equal(resolved.tensors["dp.cond.weight"], matmul.t())
    assert torch.equal(resolved.tensors["dp.proj.weight"], gemm)
    assert torch.equal(resolved.tensors["dec.conv_post.weight"], conv) and torch.equal(resolved.tensors["emb_g.weight"], table)
    assert resolved.constants == ["/Constant_output_0"] and not resolved.unknown
    assert "transposed back" in resolved.found_as["dp.cond.weight"]
