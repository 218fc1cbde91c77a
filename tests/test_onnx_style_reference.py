"""A style reference on the ONNX engine: the export carries the style encoder as a graph, ``OnnxVoice`` computes the
clip's log-mel with numpy as ``MelSpectrogram`` does with torch, and speaks a clip's style (at a strength) as ``Voice``
does; bad clips are refused with torch's one-line messages, by the API and by ``polyvox say --engine onnx``, with no
output file."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch
from onnx_voices import make_voice
from test_style_onnx import NO_NOISE, make_style_voice
from tiny_voices import ENGLISH
from typer.testing import CliRunner

from polyvox.audio.features import MelSpectrogram
from polyvox.audio.io import AudioError
from polyvox.audio.numpy_mel import NumpyMelSpectrogram
from polyvox.cli import app
from polyvox.config import AudioConfig
from polyvox.errors import ReferenceClipError
from polyvox.export.metadata import metadata_path
from polyvox.export.onnx_export import export_onnx
from polyvox.inference.batch import one_torch_thread
from polyvox.inference.onnx_voice import OnnxVoice
from polyvox.inference.result import SynthesisError
from polyvox.inference.style import clip_style
from polyvox.inference.voice import Voice

RATE = 22050
# Both engines' audio agreed to 4.5e-8 and their clip styles to 9e-8 when measured; float32 graphs agree to ~1e-5.
TOLERANCE = 1e-5


def speech_like(seconds: float, rate: int = RATE, seed: int = 0) -> np.ndarray:
    """A voiced-looking clip: a gliding tone with harmonics under some noise."""
    times = np.arange(int(seconds * rate)) / rate
    pitch = 2 * np.pi * np.cumsum(np.full(len(times), 140.0) + 40 * np.sin(2 * np.pi * 1.5 * times)) / rate
    tone = sum(np.sin(harmonic * pitch) / harmonic for harmonic in (1, 2, 3))
    return (0.2 * tone + 0.02 * np.random.default_rng(seed).standard_normal(len(times))).astype(np.float32)


@pytest.fixture(scope="module")
def voices(tmp_path_factory) -> Iterator[tuple[Voice, OnnxVoice, Path, Path]]:
    """The style voice in PyTorch and onnxruntime, its export, and a folder of clips (at the voice's rate and at 44.1 kHz
    in stereo)."""
    folder = tmp_path_factory.mktemp("onnx_style_reference")
    with one_torch_thread():
        voice_path = make_style_voice(folder / "styled.safetensors")
        output = export_onnx(voice_path, folder / "voice.onnx").graph_paths["full"]
        soundfile.write(str(folder / "calm.wav"), speech_like(1.4), RATE, subtype="PCM_16")
        lively = speech_like(1.1, 44100, seed=1) * np.float32(2.5)
        soundfile.write(str(folder / "lively.wav"), np.stack([lively, 0.5 * lively], axis=1), 44100, subtype="PCM_16")
        yield Voice.load(voice_path), OnnxVoice.load(output, threads=1), output, folder


@pytest.mark.parametrize(
    "config",
    [AudioConfig(), AudioConfig(sample_rate=16000, n_fft=800, win_length=640, hop_length=160, n_mels=40, mel_fmin=55.0, mel_fmax=7600.0)],
    ids=["default", "window-shorter-than-fft"],
)
def test_the_numpy_log_mel_is_torchs(config: AudioConfig) -> None:
    torch_mel, numpy_mel = MelSpectrogram(config), NumpyMelSpectrogram(config)
    for length in (100, config.hop_length - 1, config.hop_length, 1000, 3 * config.sample_rate + 17):
        samples = speech_like(length / config.sample_rate, config.sample_rate)[:length]
        expected = torch_mel(torch.from_numpy(samples)[None])[0].numpy()
        got = numpy_mel(samples)
        assert got.dtype == np.float32 and got.shape == expected.shape == (config.n_mels, length // config.hop_length)
        if got.size:
            assert float(np.max(np.abs(got - expected))) < 1e-5
    silent = numpy_mel(np.zeros(config.sample_rate, np.float32))
    np.testing.assert_allclose(silent, torch_mel(torch.zeros(1, config.sample_rate))[0].numpy(), atol=1e-5)


def test_the_export_has_a_style_encoder_graph_that_encodes_clips_as_torch(voices) -> None:
    voice, onnx_voice, output, folder = voices
    document = json.loads(metadata_path(output).read_text(encoding="utf-8"))
    assert document["graphs"]["style_encoder"]["inputs"] == ["reference_mel"]
    assert (output.parent / document["graphs"]["style_encoder"]["file"]).is_file()
    audio = voice.metadata.config.audio
    for clip in (folder / "calm.wav", folder / "lively.wav", speech_like(0.8, seed=3), [folder / "calm.wav", folder / "lively.wav"]):
        with one_torch_thread():
            expected = clip_style(voice.generator, audio, clip).numpy()
        got = onnx_voice.style_encoder.clip_style(clip)
        assert got.shape == expected.shape and float(np.max(np.abs(got - expected))) < TOLERANCE
    calm, lively = (onnx_voice.style_encoder.clip_style(folder / name) for name in ("calm.wav", "lively.wav"))
    assert float(np.max(np.abs(calm - lively))) > 1e-3  # the clips' styles differ, so the comparison above means something


@pytest.mark.parametrize(("clip", "strength"), [("calm.wav", 1.0), ("lively.wav", 0.4), ("lively.wav", 1.7)])
def test_a_style_reference_at_a_strength_speaks_as_the_pytorch_voice(voices, clip: str, strength: float) -> None:
    voice, onnx_voice, _, folder = voices
    request = {"style_reference": folder / clip, "style_strength": strength, **NO_NOISE}
    with one_torch_thread():
        expected = voice.synthesize(ENGLISH, speaker="es_m1", **request).samples
    got = onnx_voice.synthesize(ENGLISH, speaker="es_m1", **request).samples
    assert got.shape == expected.shape
    assert float(np.max(np.abs(got - expected))) < TOLERANCE
    neutral = onnx_voice.synthesize(ENGLISH, speaker="es_m1", **NO_NOISE).samples
    assert neutral.shape != got.shape or not np.allclose(neutral, got, atol=1e-3)


def test_a_style_reference_repeats_with_its_seed_and_streams(voices) -> None:
    onnx_voice, folder = voices[1], voices[3]
    request = {"style_reference": folder / "lively.wav", "style_strength": 0.8, "seed": 5}
    first = onnx_voice.synthesize(ENGLISH, **request).samples
    np.testing.assert_array_equal(onnx_voice.synthesize(ENGLISH, **request).samples, first)
    np.testing.assert_array_equal(onnx_voice.synthesize(ENGLISH, **(request | {"style_strength": 0.0})).samples, onnx_voice.synthesize(ENGLISH, seed=5).samples)
    chunks = list(onnx_voice.stream(ENGLISH, first_chunk_frames=3, chunk_frames=8, **request))
    np.testing.assert_allclose(np.concatenate(chunks), first, atol=1e-6)


def _bad_clips(folder: Path) -> dict[str, object]:
    (folder / "notes.wav").write_text("not audio", encoding="utf-8")
    soundfile.write(str(folder / "short.wav"), speech_like(0.3), RATE)
    soundfile.write(str(folder / "silent.wav"), np.zeros(RATE, np.float32), RATE)
    return {
        "short": folder / "short.wav", "silent": folder / "silent.wav", "unreadable": folder / "notes.wav",
        "missing": folder / "gone.wav", "non-finite": np.full(RATE, np.nan, np.float32), "none": [],
    }


@pytest.mark.parametrize("kind", ["short", "silent", "unreadable", "missing", "non-finite", "none"])
def test_a_bad_clip_is_refused_with_torchs_message(voices, kind: str) -> None:
    voice, onnx_voice, _, folder = voices
    clip = _bad_clips(folder)[kind]
    with pytest.raises((ReferenceClipError, AudioError)) as from_torch:
        voice.synthesize(ENGLISH, style_reference=clip)
    with pytest.raises(type(from_torch.value)) as from_onnx:
        onnx_voice.synthesize(ENGLISH, style_reference=clip)
    assert str(from_onnx.value) == str(from_torch.value) and "\n" not in str(from_onnx.value)


def test_a_voice_without_style_refuses_a_style_reference_as_torch(voices, tmp_path: Path) -> None:
    folder = voices[3]
    with one_torch_thread():
        plain = make_voice(tmp_path / "plain.safetensors", "hifigan", 0.0)
        onnx_voice = OnnxVoice.load(export_onnx(plain, tmp_path / "voice.onnx").graph_paths["full"], threads=1)
        with pytest.raises(SynthesisError) as from_torch:
            Voice.load(plain).synthesize(ENGLISH, style_reference=folder / "calm.wav")
    with pytest.raises(SynthesisError) as from_onnx:
        onnx_voice.synthesize(ENGLISH, style_reference=folder / "calm.wav", style_strength=0.5)
    assert str(from_onnx.value) == str(from_torch.value) and "no style component" in str(from_onnx.value)


def test_an_export_without_the_style_encoder_graph_says_to_export_again(voices, tmp_path: Path) -> None:
    output, folder = voices[2], voices[3]
    document = json.loads(metadata_path(output).read_text(encoding="utf-8"))
    del document["graphs"]["style_encoder"]  # as an export written before the graph existed
    for graph in document["graphs"].values():
        (tmp_path / graph["file"]).write_bytes((output.parent / graph["file"]).read_bytes())
    metadata_path(tmp_path / output.name).write_text(json.dumps(document), encoding="utf-8")
    older = OnnxVoice.load(tmp_path / output.name, threads=1)
    assert older.synthesize(ENGLISH, emotion="calm", seed=1).samples.size
    with pytest.raises(SynthesisError, match="no style encoder graph.*export the voice again"):
        older.synthesize(ENGLISH, style_reference=folder / "calm.wav")


def test_say_speaks_a_style_reference_with_the_onnx_engine(voices, tmp_path: Path) -> None:
    voice_path, folder = voices[2], voices[3]
    arguments = ["say", ENGLISH, "--engine", "onnx", "--voice", str(voice_path), "--seed", "3"]
    output = tmp_path / "out.wav"
    result = CliRunner().invoke(app, [*arguments, "--style-reference", str(folder / "lively.wav"), "--style-strength", "0.7", "-o", str(output)])
    assert result.exit_code == 0, result.output
    expected = voices[1].synthesize(ENGLISH, seed=3, style_reference=folder / "lively.wav", style_strength=0.7).samples
    written, rate = soundfile.read(str(output), dtype="int16")
    assert rate == RATE and len(written) == len(expected)
    assert int(np.max(np.abs(written - np.round(np.clip(expected, -1, 1) * 32767)))) <= 1
    clips = _bad_clips(folder)
    with one_torch_thread():
        torch_refusal = CliRunner().invoke(app, ["say", ENGLISH, "--voice", str(folder / "styled.safetensors"), "--style-reference", str(clips["silent"]), "-o", str(tmp_path / "torch.wav")])
    refused = CliRunner().invoke(app, [*arguments, "--style-reference", str(clips["silent"]), "-o", str(tmp_path / "no.wav")])
    assert refused.exit_code == torch_refusal.exit_code == 1
    assert refused.output == torch_refusal.output and len(refused.output.strip().splitlines()) == 1 and "is silent" in refused.output
    assert not (tmp_path / "no.wav").exists() and not (tmp_path / "torch.wav").exists()
