"""A file import-voice cannot read is named for what it is; the pickle warning is for pickles only."""

from __future__ import annotations

import io
import json
import pickle
import zipfile

import pytest
import torch
from typer.testing import CliRunner

from polyvox.cli import app
from polyvox.pretrained import PretrainedImportError, UnsafeCheckpointError, import_checkpoint
from polyvox.pretrained.file_kinds import ACCEPTED, file_kind

PICKLE_WARNING = "could run code when unpickled"


def _onnx_bytes() -> bytes:
    import onnx
    from onnx import helper

    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])], "not_a_voice",
        [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [1])], [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [1])],
    )
    return helper.make_model(graph, producer_name="test").SerializeToString()


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("en_US-joe-medium.onnx", b"...")
        archive.writestr("en_US-joe-medium.onnx.json", b"{}")
    return buffer.getvalue()


def _safetensors_bytes() -> bytes:
    header = json.dumps({"x": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}).encode()
    return len(header).to_bytes(8, "little") + header + b"\x00" * 4


@pytest.mark.parametrize(
    ("name", "content", "kind", "said"),
    [
        ("voice.bin", _onnx_bytes(), "onnx", "not a VITS-family voice"),
        ("voice.zip", _zip_bytes(), "zip", "a zip archive (holding en_US-joe-medium.onnx, en_US-joe-medium.onnx.json)"),
        ("voice.pth", _safetensors_bytes(), "safetensors", "a safetensors file"),
        ("voice.onnx.json", b'{"audio": {}}', "json", "a JSON file: a voice's .onnx.json goes with --config"),
        ("notes.txt", "Stimme für Joe\n".encode(), "text", "a text file"),
        ("G_1.pth", b"", "empty", "an empty file"),
        ("G_2.pth", bytes(range(256)) * 4, "unknown", "a binary file of no format polyvox knows"),
    ],
)
def test_the_error_names_the_file(tmp_path, name, content, kind, said):
    path = tmp_path / name
    path.write_bytes(content)
    assert file_kind(path) == kind
    with pytest.raises(PretrainedImportError) as raised:
        import_checkpoint(path)
    message = str(raised.value)
    assert said in message and PICKLE_WARNING not in message and "\n" not in message
    if kind not in ("onnx",):
        assert ACCEPTED in message


def test_pickle_warning_for_real_pickles_only(tmp_path):
    dangerous = tmp_path / "G_1.pth"
    torch.save({"model": {"x": torch.zeros(1)}, "opener": io.BytesIO}, dangerous, _use_new_zipfile_serialization=False)
    assert file_kind(dangerous) == "pickle"
    with pytest.raises(UnsafeCheckpointError, match=PICKLE_WARNING):
        import_checkpoint(dangerous)
    zipped = tmp_path / "G_2.pth"
    torch.save({"model": {"x": torch.zeros(1)}, "opener": io.BytesIO}, zipped)
    assert file_kind(zipped) == "pytorch"
    with pytest.raises(UnsafeCheckpointError, match=PICKLE_WARNING):
        import_checkpoint(zipped)
    damaged = tmp_path / "G_3.pth"
    damaged.write_bytes(pickle.dumps({"x": 1})[:3] + b"\xff\xfe")
    with pytest.raises(PretrainedImportError) as raised:
        import_checkpoint(damaged)
    assert PICKLE_WARNING not in str(raised.value)


def test_a_truncated_onnx_file_is_named(tmp_path):
    path = tmp_path / "en_US-joe-medium.onnx"
    path.write_bytes(_onnx_bytes()[:-7])
    result = CliRunner().invoke(app, ["import-voice", str(path), "-o", str(tmp_path / "joe.safetensors")])
    assert result.exit_code == 1 and result.output.count("\n") == 1
    assert "ONNX" in result.output and PICKLE_WARNING not in result.output
