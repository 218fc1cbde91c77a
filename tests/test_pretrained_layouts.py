"""Checkpoint layouts: detection, unknown layouts named part by part, weights-only loading, the import-voice command."""

from __future__ import annotations

import json
import re
import pathlib

import pytest
import torch
from typer.testing import CliRunner

from polyvox.voice_file import read_metadata
from polyvox.cli import app
from polyvox.pretrained import PretrainedImportError, UnknownLayoutError, UnsafeCheckpointError, import_checkpoint
from polyvox.pretrained.names import polyvox_name
from vits_family_checkpoints import write_vits


class OpensAFile:
    """Unpickling this calls open(): what a malicious checkpoint does with os.system instead."""

    def __init__(self, marker: pathlib.Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_pickled_code_is_refused_and_never_runs(tmp_path):
    marker = tmp_path / "ran"
    checkpoint = tmp_path / "G_1.pth"
    torch.save({"model": {"enc_p.emb.weight": torch.zeros(2, 2)}, "payload": OpensAFile(marker)}, checkpoint)
    with pytest.raises(UnsafeCheckpointError, match=r"weights_only=True"):
        import_checkpoint(checkpoint)
    assert not marker.exists()


def test_unknown_layout_names_what_was_and_was_not_recognised(tmp_path):
    checkpoint = tmp_path / "model.pth"
    torch.save({"model": {"enc_p.emb.weight": torch.zeros(3, 4), "encoder.layers.0.weight": torch.zeros(2)}, "epoch": 3}, checkpoint)
    with pytest.raises(UnknownLayoutError) as raised:
        import_checkpoint(checkpoint)
    message = str(raised.value)
    assert "Top-level entries: 'model', 'epoch'" in message
    assert "Recognised: text encoder (enc_p.*, 1 tensors)" in message
    assert "Not recognised: encoder.* (1 tensors), no flow (flow.*), no decoder (dec.*)" in message
    assert "Piper Lightning .ckpt" in message


def test_discriminator_checkpoint_points_to_the_generator(tmp_path):
    checkpoint = tmp_path / "D_100.pth"
    torch.save({"model": {"discriminators.0.convs.0.weight_g": torch.zeros(16, 1, 1)}, "iteration": 100}, checkpoint)
    with pytest.raises(UnknownLayoutError, match=r"import the generator G_\*\.pth"):
        import_checkpoint(checkpoint)


def test_unreadable_files(tmp_path):
    truncated = tmp_path / "G_1.pth"
    truncated.write_bytes(b"PK\x03\x04 not a whole zip")
    with pytest.raises(PretrainedImportError, match="not a readable PyTorch checkpoint"):
        import_checkpoint(truncated)
    with pytest.raises(PretrainedImportError, match="checkpoint not found"):
        import_checkpoint(tmp_path / "absent.pth")
    voice = tmp_path / "voice.safetensors"
    voice.write_bytes(b"")
    with pytest.raises(PretrainedImportError, match="is used as it is"):
        import_checkpoint(voice)


@pytest.mark.parametrize(
    ("source", "roles", "target"),
    [
        ("enc_q.enc.in_layers.3.weight_v", {}, "posterior_encoder.wavenet.input_convs.3.parametrizations.weight.original1"),
        ("flow.flows.6.enc.cond_layer.weight_g", {}, "flow.couplings.3.wavenet.speaker_projection.parametrizations.weight.original0"),
        ("flow.flows.1.enc.in_layers.0.weight_g", {}, None),  # odd entries are weightless flips
        ("dp.flows.3.convs.norms_2.1.gamma", {"dp": "stochastic"}, "stochastic_duration_predictor.flows.3.convs.pointwise_norms.1.weight"),
        ("dp.norm_1.beta", {"dp": "deterministic"}, "duration_predictor.first_norm.bias"),
        ("sdp.post_flows.0.logs", {"sdp": "stochastic"}, "stochastic_duration_predictor.posterior_flows.0.log_scale"),
        ("enc_p.encoder.attn_layers.2.emb_rel_v", {}, "text_encoder.attention_layers.2.relative_values"),
        ("dec.resblocks.5.convs2.1.parametrizations.weight.original0", {}, "decoder.resblocks.5.convs2.1.parametrizations.weight.original0"),
        ("emb_g.weight", {}, None),  # remapped by each importer, not renamed
    ],
)
def test_vits_names_in_polyvox(source, roles, target):
    assert polyvox_name(source, roles) == target


def test_import_voice_command(tmp_path):
    checkpoint, config, symbols, _ = write_vits(tmp_path / "vits")
    voice, report = tmp_path / "out" / "voice.safetensors", tmp_path / "out" / "report.json"
    result = CliRunner().invoke(
        app, ["import-voice", str(checkpoint), "--config", str(config), "--phonemes", str(symbols), "-o", str(voice), "--report", str(report)]
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("VITS checkpoint: loaded ")
    assert "shape mismatch: enc_q.pre.weight [16, 513, 1] -> posterior_encoder.input_projection.weight [16, 80, 1]" in result.output
    assert read_metadata(voice).info["imported_from"] == "VITS"
    assert re.fullmatch(rf"wrote {re.escape(str(voice))}, the imported voice \(.*\) in \d+\.\d s", result.output.strip().splitlines()[-1])
    whole = json.loads(report.read_text(encoding="utf-8"))
    assert {"loaded", "missing", "unexpected", "shape_mismatched", "notes"} <= set(whole) and len(whole["loaded"]) > 100


def test_import_voice_command_errors_in_one_line(tmp_path):
    checkpoint, _, _, _ = write_vits(tmp_path / "vits")
    output = tmp_path / "voice.safetensors"
    result = CliRunner().invoke(app, ["import-voice", str(checkpoint), "-o", str(output)])
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and result.output.startswith("error: ") and "--config" in result.output
    assert not output.exists()
