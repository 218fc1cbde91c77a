"""``OnnxVoice``: speaks like ``Voice``, streams, runs without torch, and refuses broken or mixed-up exports."""

from __future__ import annotations

import inspect
import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile
from onnx_voices import make_voice
from tiny_voices import ENGLISH, SPEAKERS
from typer.testing import CliRunner

from polyvox.cli import app
from polyvox.export.metadata import OnnxVoiceError, metadata_path
from polyvox.export.onnx_export import export_onnx
from polyvox.inference.batch import one_torch_thread
from polyvox.inference.onnx_voice import OnnxVoice
from polyvox.inference.voice import SynthesisError, Voice

# Imports the ONNX engine with torch made unimportable, then speaks.
WITHOUT_TORCH = """
import sys

class BlockTorch:
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ImportError("torch is blocked in this test")
        return None

sys.meta_path.insert(0, BlockTorch())
from polyvox import OnnxVoice

result = OnnxVoice.load(sys.argv[1], threads=1).synthesize("Hello world.", seed=1)
assert "torch" not in sys.modules
print(len(result.samples), result.sample_rate)
"""


@pytest.fixture(scope="module")
def voices(tmp_path_factory) -> Iterator[tuple[Voice, OnnxVoice, Path]]:
    folder = tmp_path_factory.mktemp("onnx_voice")
    with one_torch_thread():
        voice_path = make_voice(folder / "tiny.safetensors", "istft", 0.5)
        exported = export_onnx(voice_path, folder / "voice.onnx")
        yield Voice.load(voice_path), OnnxVoice.load(folder / "voice.onnx", threads=1), exported.graph_paths["full"]


@pytest.fixture
def export_copy(voices, tmp_path) -> Path:
    """A copy of the export's files that a test may break."""
    source = voices[2].parent
    for name in ("voice.onnx", "voice.encoder.onnx", "voice.decoder.onnx", "voice.onnx.json"):
        shutil.copy(source / name, tmp_path / name)
    return tmp_path / "voice.onnx"


def test_speaks_like_the_pytorch_voice_without_noise(voices):
    voice, onnx_voice, _ = voices
    with one_torch_thread():
        expected = voice.synthesize(ENGLISH, speaker="es_m1", speed=0.8, noise_scale=0.0, noise_scale_duration=0.0)
    got = onnx_voice.synthesize(ENGLISH, speaker="es_m1", speed=0.8, noise_scale=0.0, noise_scale_duration=0.0)
    assert got.sample_rate == expected.sample_rate
    assert got.samples.dtype == np.float32 and got.samples.shape == expected.samples.shape
    np.testing.assert_allclose(got.samples, expected.samples, atol=1e-5)


def test_same_defaults_as_the_pytorch_voice():
    def defaults(method: object) -> dict[str, object]:
        return {name: parameter.default for name, parameter in inspect.signature(method).parameters.items() if name != "self"}

    assert defaults(OnnxVoice.synthesize) == defaults(Voice.synthesize)
    assert defaults(OnnxVoice.stream) == defaults(Voice.stream)


def test_seed_repeats_and_streaming_joins_to_the_same_audio(voices):
    onnx_voice = voices[1]
    first = onnx_voice.synthesize(ENGLISH, seed=4).samples
    np.testing.assert_array_equal(onnx_voice.synthesize(ENGLISH, seed=4).samples, first)
    assert not np.array_equal(onnx_voice.synthesize(ENGLISH, seed=5).samples, first)
    chunks = list(onnx_voice.stream(ENGLISH, seed=4, first_chunk_frames=3, chunk_frames=8))
    assert len(chunks) > 4
    np.testing.assert_allclose(np.concatenate(chunks), first, atol=1e-6)


def test_refuses_requests_exactly_as_the_pytorch_voice(voices):
    voice, onnx_voice, _ = voices
    for request in ({"language": "fr"}, {"speaker": "nobody"}, {"speaker": 7}, {"speed": 0.0}, {"noise_scale": -1.0}, {"pitch": 40.0}):
        with pytest.raises(SynthesisError) as from_torch:
            voice.synthesize(ENGLISH, **request)
        with pytest.raises(SynthesisError) as from_onnx:
            onnx_voice.synthesize(ENGLISH, **request)
        assert str(from_onnx.value) == str(from_torch.value)


def test_runs_without_torch(voices):
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_TORCH, str(voices[2])], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    samples, sample_rate = map(int, result.stdout.split())
    assert samples > 0 and sample_rate == 22050


def test_missing_files_are_named(export_copy):
    with pytest.raises(OnnxVoiceError, match="ONNX voice not found"):
        OnnxVoice.load(export_copy.with_name("other.onnx"))
    (export_copy.parent / "voice.decoder.onnx").unlink()
    with pytest.raises(OnnxVoiceError, match="voice.decoder.onnx"):
        OnnxVoice.load(export_copy)
    metadata_path(export_copy).unlink()
    with pytest.raises(OnnxVoiceError, match="metadata not found"):
        OnnxVoice.load(export_copy)


def test_corrupt_files_are_refused(export_copy):
    encoder = export_copy.with_name("voice.encoder.onnx")
    encoder.write_bytes(encoder.read_bytes()[:1000])  # truncated, as by an interrupted copy
    with pytest.raises(OnnxVoiceError, match="not a usable ONNX graph"):
        OnnxVoice.load(export_copy)
    metadata_path(export_copy).write_text('{"format": "polyvox-onnx-voice", "format_ver')
    with pytest.raises(OnnxVoiceError, match="not readable JSON"):
        OnnxVoice.load(export_copy)


def test_metadata_of_another_export_is_refused(export_copy):
    json_path = metadata_path(export_copy)
    document = json.loads(json_path.read_text())
    json_path.write_text(json.dumps(document | {"export_id": "0" * 32}))
    with pytest.raises(OnnxVoiceError, match="comes from another export"):
        OnnxVoice.load(export_copy)
    del document["symbols"]
    json_path.write_text(json.dumps(document))
    with pytest.raises(OnnxVoiceError, match="missing or malformed"):
        OnnxVoice.load(export_copy)


def test_say_with_the_onnx_engine(voices, tmp_path):
    onnx_path = voices[2]
    output = tmp_path / "out.wav"
    result = CliRunner().invoke(app, ["say", ENGLISH, "--engine", "onnx", "--voice", str(onnx_path), "-o", str(output), "--seed", "1"])
    assert result.exit_code == 0, result.output
    info = soundfile.info(str(output))
    assert info.samplerate == 22050 and info.frames == len(voices[1].synthesize(ENGLISH, seed=1).samples)
    listed = CliRunner().invoke(app, ["say", "--engine", "onnx", "--voice", str(onnx_path), "--list-speakers"])
    assert listed.stdout.split() == list(SPEAKERS)
    for arguments, fragment in ((["--engine", "onnx"], "needs --voice voice.onnx"), (["--engine", "tensorflow"], "must be torch or onnx")):
        refused = CliRunner().invoke(app, ["say", ENGLISH, *arguments, "-o", str(output)])
        assert refused.exit_code == 1 and refused.output.strip().startswith("error: ") and fragment in refused.output


def test_reference_clips_are_refused_with_a_clear_message(voices):
    from polyvox.inference.result import SynthesisError

    with pytest.raises(SynthesisError, match="PyTorch engine"):
        voices[1].synthesize(ENGLISH, reference="clip.wav")


def test_a_speakers_stored_pitch_correction_is_applied_as_the_pytorch_voice_applies_it(voices, export_copy):
    """``polyvox finetune --match-pitch`` stores a new speaker's correction in the voice's info, which the export
    carries: the ONNX engine adds it to the request's pitch, and not for another speaker."""
    _, onnx_voice, _ = voices
    metadata = json.loads(metadata_path(export_copy).read_text(encoding="utf-8"))
    metadata["info"]["speaker_pitch"] = json.dumps({"es_m1": 2.0})
    metadata_path(export_copy).write_text(json.dumps(metadata), encoding="utf-8")
    corrected = OnnxVoice.load(export_copy, threads=1)
    quiet = {"noise_scale": 0.0, "noise_scale_duration": 0.0}
    np.testing.assert_array_equal(
        corrected.synthesize(ENGLISH, speaker="es_m1", pitch=1.0, **quiet).samples,
        onnx_voice.synthesize(ENGLISH, speaker="es_m1", pitch=3.0, **quiet).samples,
    )
    other = next(name for name in onnx_voice.speakers if name != "es_m1")
    np.testing.assert_array_equal(corrected.synthesize(ENGLISH, speaker=other, **quiet).samples, onnx_voice.synthesize(ENGLISH, speaker=other, **quiet).samples)
