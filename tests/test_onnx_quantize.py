"""``polyvox export --quantize int8|fp16`` and the operator check: smaller graphs that load in onnxruntime,
keep float32 inputs and outputs and give audio close to float32; operators outside onnxruntime-web's or
onnxruntime-mobile's set are named, one line each."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper
from typer.testing import CliRunner

import onnx_voices
from onnx_voices import make_voice
from polyvox.cli import app
from polyvox.config import preset
from polyvox.export import quantize as quantize_module
from polyvox.export.onnx_export import export_onnx
from polyvox.export.operator_check import MOBILE_RUNTIME, WEB_RUNTIME, unsupported_operators
from polyvox.export.quantize import QUANTIZATIONS, QuantizeError, check_quantization
from polyvox.inference.onnx_voice import OnnxVoice
from tiny_voices import ENGLISH

RESULTS = Path(__file__).resolve().parent.parent / "benchmarks" / "results" / "quantize.json"
# Largest difference to float32 of the decoder's audio for the same latent. Measured on the tiny voices
# (audio of mean magnitude 0.02-0.13): fp16 up to 6.4e-5, int8 up to 1.1e-3.
TOLERANCE = {"fp16": 1e-3, "int8": 1e-2}


@pytest.fixture(scope="module")
def shipped_voice(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny voice of the bundled voice's architecture: four-band iSTFT decoder, deterministic durations,
    one symbol per phoneme with its stress (the fused input scheme: no prosody ids)."""
    folder = tmp_path_factory.mktemp("shipped")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(onnx_voices, "preset", lambda *args, **kwargs: preset(*args, **kwargs).replace(**{"model.text_encoder.prosody_embeddings": False}))
        return make_voice(folder / "tiny.safetensors", "multiband", 0.0)


@pytest.fixture(scope="module")
def exports(shipped_voice: Path) -> dict[str, Path]:
    """float32, fp16 and int8 exports of the voice through the CLI, by mode ("float32" for none)."""
    outputs = {}
    for mode in ("float32", *QUANTIZATIONS):
        output = shipped_voice.parent / mode / "voice.onnx"
        arguments = ["export", str(shipped_voice), "-o", str(output)] + ([] if mode == "float32" else ["--quantize", mode])
        result = CliRunner().invoke(app, arguments)
        assert result.exit_code == 0, result.output
        outputs[mode] = output
    return outputs


def graphs_size(output: Path) -> int:
    return sum(path.stat().st_size for path in output.parent.glob("*.onnx"))


@pytest.mark.parametrize("mode", QUANTIZATIONS)
def test_quantized_graphs_are_smaller_and_keep_float32_inputs_and_outputs(exports: dict[str, Path], mode: str) -> None:
    assert graphs_size(exports[mode]) < 0.9 * graphs_size(exports["float32"])
    voice = OnnxVoice.load(exports[mode], threads=1)
    reference = OnnxVoice.load(exports["float32"], threads=1)
    for session, float_session in ((voice.encoder, reference.encoder), (voice.decoder, reference.decoder)):
        assert [(item.name, item.type) for item in session.get_inputs()] == [(item.name, item.type) for item in float_session.get_inputs()]
        assert [(item.name, item.type) for item in session.get_outputs()] == [(item.name, item.type) for item in float_session.get_outputs()]
    assert json.loads(exports[mode].with_name("voice.onnx.json").read_text())["info"]["quantization"] == mode


@pytest.mark.parametrize("mode", ["float32", *QUANTIZATIONS])
def test_the_shipped_architecture_needs_only_operators_of_onnxruntime_web_and_mobile(exports: dict[str, Path], mode: str) -> None:
    for path in exports[mode].parent.glob("*.onnx"):
        assert [problem.describe() for problem in unsupported_operators(onnx.load(path))] == [], path.name


def test_int8_is_smaller_than_fp16(exports: dict[str, Path]) -> None:
    assert graphs_size(exports["int8"]) < graphs_size(exports["fp16"])
    weights = [item for item in onnx.load(exports["int8"]).graph.initializer if item.data_type == TensorProto.INT8]
    assert weights, "no weight was stored as int8"


@pytest.mark.parametrize("mode", QUANTIZATIONS)
def test_quantized_audio_is_finite_and_close_to_float32(exports: dict[str, Path], mode: str) -> None:
    voice, reference = OnnxVoice.load(exports[mode], threads=1), OnnxVoice.load(exports["float32"], threads=1)
    spoken = voice.synthesize(ENGLISH, language="en", seed=3).samples
    assert spoken.size > 0 and np.isfinite(spoken).all()
    latent = np.random.default_rng(0).standard_normal((1, reference.metadata.config.model.inter_channels, 40)).astype(np.float32)
    mask, speakers = np.ones((1, 1, 40), np.float32), np.array([1])
    expected = reference.decode_latent(latent, mask, speakers)
    got = voice.decode_latent(latent, mask, speakers)
    assert got.shape == expected.shape and np.isfinite(got).all()
    assert float(np.abs(got - expected).max()) < TOLERANCE[mode]


@pytest.mark.parametrize("value", ["int4", "INT8", "float16"])
def test_bad_quantize_value_is_one_line(tmp_path: Path, value: str) -> None:
    result = CliRunner().invoke(app, ["export", "-o", str(tmp_path / "voice.onnx"), "--quantize", value])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "--quantize must be one of int8, fp16" in lines[0], result.output
    assert not any(tmp_path.iterdir())


def test_a_refused_mode_is_one_line_that_points_to_fp16(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(quantize_module, "REFUSED", {"int8": "it raised the listener's error rate by 25 %"})
    result = CliRunner().invoke(app, ["export", "-o", str(tmp_path / "voice.onnx"), "--quantize", "int8"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "not offered" in lines[0] and "--quantize fp16" in lines[0], result.output
    with pytest.raises(QuantizeError, match="not offered"):
        export_onnx(tmp_path / "unused.safetensors", tmp_path / "voice.onnx", quantize="int8")


def test_offered_modes_follow_the_benchmark_verdict() -> None:
    if not RESULTS.is_file():
        pytest.skip(f"{RESULTS} not written yet: run benchmarks/quantize.py")
    verdicts = json.loads(RESULTS.read_text())["verdict"]
    for mode in QUANTIZATIONS:
        if verdicts[mode]["offered"]:
            assert check_quantization(mode) == mode
        else:
            with pytest.raises(QuantizeError):
                check_quantization(mode)


def hand_made_graph(nodes: list[onnx.NodeProto], opset: int, extra_domains: tuple[str, ...] = ()) -> onnx.ModelProto:
    graph = helper.make_graph(
        nodes, "hand-made",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])], [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
    )
    opsets = [helper.make_opsetid("", opset), *(helper.make_opsetid(domain, 1) for domain in extra_domains)]
    return helper.make_model(graph, opset_imports=opsets)


def test_operator_check_flags_operators_outside_each_runtime() -> None:
    model = hand_made_graph(
        [
            helper.make_node("Einsum", ["x", "x"], ["e"], equation="ij,ij->ij"),  # onnxruntime CPU has it, the mobile build not
            helper.make_node("Relu", ["e"], ["r"]),  # in both
            helper.make_node("Mystery", ["r"], ["y"], domain="example.custom"),  # in neither
        ],
        opset=13, extra_domains=("example.custom",),
    )
    found = {problem.operator.name: problem for problem in unsupported_operators(model)}
    assert set(found) == {"Einsum", "Mystery"}
    assert found["Einsum"].runtimes == (MOBILE_RUNTIME,)
    assert found["Mystery"].runtimes == (WEB_RUNTIME, MOBILE_RUNTIME)
    lines = [problem.describe() for problem in found.values()]
    assert all("\n" not in line and problem in line for line, problem in zip(lines, found))


def test_operator_versions_newer_than_the_mobile_build_point_to_opset_13() -> None:
    model = hand_made_graph([helper.make_node("Relu", ["x"], ["y"])], opset=17)  # Relu version 14
    (problem,) = unsupported_operators(model)
    assert problem.runtimes == (MOBILE_RUNTIME,) and "--opset 13" in problem.describe()
    assert unsupported_operators(hand_made_graph([helper.make_node("Relu", ["x"], ["y"])], opset=13)) == []


def test_web_export_ships_the_quantized_graphs(shipped_voice: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from polyvox.export.web_export import RUNTIME_ENV, RUNTIME_FILES, export_web

    runtime = tmp_path / "node_modules"
    for source in RUNTIME_FILES:  # a stand-in runtime: no npm needed
        (runtime / source).parent.mkdir(parents=True, exist_ok=True)
        (runtime / source).write_text("stand-in")
    monkeypatch.setenv(RUNTIME_ENV, str(runtime))
    page = export_web(shipped_voice, tmp_path / "page", quantize="int8")
    assert page.unsupported == ()
    decoder = onnx.load(page.directory / "voice.decoder.onnx")
    assert any(item.data_type == TensorProto.INT8 for item in decoder.graph.initializer)


def test_the_page_speaks_the_int8_graphs_as_python_does(tmp_path: Path) -> None:
    """In headless Chromium, the page exported with --quantize int8 gives onnxruntime's audio in Python (measured:
    at most 1.2e-6 apart for int8 and 1.7e-6 for fp16, on three sentences, whole and streamed)."""
    from polyvox.cli_support import DEFAULT_VOICE
    from polyvox.export.web_browser import browser_missing, chromium, open_page, serve
    from polyvox.export.web_export import export_web, missing_runtime

    if browser_missing() or missing_runtime():
        pytest.skip(browser_missing() or "the browser runtime is not installed (npm ci --prefix src/polyvox/web)")
    from test_web_parity import AUDIO_TOLERANCE, SPEAK, _python_speech

    export_web(DEFAULT_VOICE, tmp_path, quantize="int8")
    voice = OnnxVoice.load(tmp_path / "voice.onnx", threads=1)
    noises, expected = _python_speech(voice, "Hello, world.", "en", seed=0)
    with chromium() as browser, serve(tmp_path) as url, open_page(browser, url + "index.html") as page:
        assert page.status == "Ready.", page.status
        got = np.array(page.page.evaluate(SPEAK, ["Hello, world.", "en", [noise.ravel().tolist() for noise in noises], False]), dtype=np.float32)
        assert not page.errors, page.errors
    assert got.shape == expected.shape
    assert float(np.abs(got - expected).max()) < AUDIO_TOLERANCE
