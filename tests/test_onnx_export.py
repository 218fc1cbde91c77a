"""ONNX export: the graphs compute what PyTorch computes for the same noise, and the export fails loudly when not."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import onnxruntime
import pytest
import torch
from onnx_voices import make_voice
from typer.testing import CliRunner

import polyvox.models.vits as vits
from polyvox.cli import app
from polyvox.export.metadata import metadata_path, read_metadata
from polyvox.export.onnx_export import OnnxExportError, export_onnx
from polyvox.inference.batch import one_torch_thread
from polyvox.inference.onnx_voice import OnnxVoice
from polyvox.inference.voice import Voice
from polyvox.text.prosody import N_PROSODY_IDS

VARIANTS = {
    "hifigan-deterministic-durations": ("hifigan", 0.0),
    "istft-stochastic-durations": ("istft", 0.5),
    "multiband-istft": ("multiband", 0.5),
    "multiband-harmonic-source": ("multiband", 0.5, True),
}


@pytest.fixture(autouse=True, scope="module")
def single_thread() -> Iterator[None]:
    with one_torch_thread():
        yield


@pytest.fixture(scope="module", params=list(VARIANTS))
def exported(request, tmp_path_factory) -> tuple[Voice, OnnxVoice, Path]:
    """The voice in PyTorch and in onnxruntime; exported through the CLI."""
    folder = tmp_path_factory.mktemp(request.param)
    voice_path = make_voice(folder / "tiny.safetensors", *VARIANTS[request.param])
    output = folder / "voice.onnx"
    result = CliRunner().invoke(app, ["export", str(voice_path), "-o", str(output)])
    assert result.exit_code == 0, result.output
    listed = result.stdout.split()
    assert listed == [str(output), str(folder / "voice.encoder.onnx"), str(folder / "voice.decoder.onnx"), str(metadata_path(output))]
    assert re.fullmatch(rf"exported {re.escape(str(voice_path))}: 3 ONNX graphs and .* in \d+\.\d s", result.stderr.strip().splitlines()[-1])
    return Voice.load(voice_path), OnnxVoice.load(output, threads=1), output


def text_batch(voice: Voice, lengths: tuple[int, ...], seed: int) -> dict[str, torch.Tensor]:
    """Random ids (past the reserved ones) and noise for a padded batch; duration noise for both engines."""
    random = torch.Generator().manual_seed(seed)
    text_len = max(lengths)
    mask = torch.arange(text_len)[None, :] < torch.tensor(lengths)[:, None]
    return {
        "phoneme_ids": torch.randint(4, len(voice.symbols), (len(lengths), text_len), generator=random) * mask,
        "language_ids": torch.randint(0, 2, (len(lengths), text_len), generator=random),
        "text_lengths": torch.tensor(lengths),
        "speaker_ids": torch.tensor([1, 0][: len(lengths)]),
        "length_scale": torch.tensor([1.0, 1.3][: len(lengths)]),
        "noise_scale_duration": torch.full((len(lengths),), 0.8),
        "duration_noise": torch.randn(len(lengths), 2, text_len, generator=random),
        "prosody_ids": torch.randint(0, N_PROSODY_IDS, (len(lengths), text_len), generator=random),
    }


def torch_synthesis(voice: Voice, batch: dict[str, torch.Tensor], noise: torch.Tensor | None) -> tuple[vits.PriorOutput, torch.Tensor]:
    """PyTorch's two stages; ``noise`` None draws the prior noise after seeing its shape (returned in the latent)."""
    generator = voice.generator
    prior = generator.encode_prior(
        batch["phoneme_ids"], batch["language_ids"], batch["text_lengths"], batch["speaker_ids"], batch["length_scale"],
        batch["noise_scale_duration"].view(-1, 1, 1), duration_noise=batch["duration_noise"], prosody_ids=batch["prosody_ids"],
    )
    return prior, noise if noise is not None else torch.randn(prior.means.shape, generator=torch.Generator().manual_seed(5))


def test_encoder_and_decoder_graphs_match_pytorch_for_the_same_noise(exported):
    voice, onnx_voice, _ = exported
    batch = text_batch(voice, (9, 14), seed=1)
    prior, prior_noise = torch_synthesis(voice, batch, None)
    latent = voice.generator.sample_prior(prior, 0.667, noise=prior_noise)
    waveform = voice.generator.decode_latent(latent, prior.frame_mask, prior.speaker)

    onnx_prior = onnx_voice.encode_prior(*(batch[name].numpy() for name in batch))
    np.testing.assert_array_equal(onnx_prior.durations, prior.durations.numpy())
    np.testing.assert_array_equal(onnx_prior.frame_lengths, prior.frame_lengths.numpy())
    assert prior.frame_lengths.min() > 5  # real sentences, not a few frames: the comparison below means something
    np.testing.assert_allclose(onnx_prior.means, prior.means.numpy(), atol=1e-5)
    onnx_latent = onnx_voice.sample_prior(onnx_prior, 0.667, prior_noise.numpy())
    np.testing.assert_allclose(onnx_latent, latent.numpy(), atol=1e-5)
    onnx_waveform = onnx_voice.decode_latent(onnx_latent, onnx_prior.frame_mask, batch["speaker_ids"].numpy())
    assert onnx_waveform.shape == waveform.shape
    np.testing.assert_allclose(onnx_waveform, waveform.numpy(), atol=1e-5)


def test_duration_noise_changes_durations_only_when_the_voice_uses_it(exported):
    voice, onnx_voice, _ = exported
    batch = text_batch(voice, (12,), seed=2)
    first = onnx_voice.encode_prior(*(batch[name].numpy() for name in batch)).durations
    batch["duration_noise"] = -batch["duration_noise"]
    second = onnx_voice.encode_prior(*(batch[name].numpy() for name in batch)).durations
    stochastic = voice.metadata.config.model.duration.stochastic_weight > 0
    assert (not np.array_equal(first, second)) == stochastic
    assert ("duration_noise" in onnx_voice.metadata.graphs["encoder"].inputs) == stochastic


def test_full_graph_gives_the_two_stage_audio(exported):
    voice, onnx_voice, output = exported
    batch = text_batch(voice, (11,), seed=3)
    prior, _ = torch_synthesis(voice, batch, None)
    frames = int(prior.frame_lengths[0])
    session = onnxruntime.InferenceSession(str(output), providers=["CPUExecutionProvider"])
    inputs = {item.name for item in session.get_inputs()}

    def full_graph(prior_noise: np.ndarray) -> list[np.ndarray]:
        feed = {name: value.numpy() for name, value in batch.items()} | {"noise_scale": np.array([0.667], np.float32), "prior_noise": prior_noise}
        return session.run(None, {name: value for name, value in feed.items() if name in inputs})

    # Longer noise than needed: its first frames are used. Shorter: the missing frames get no noise.
    for noise_frames in (frames + 7, frames // 2):
        noise = np.random.default_rng(noise_frames).standard_normal((1, voice.generator.config.inter_channels, noise_frames), dtype=np.float32)
        used = torch.zeros(prior.means.shape)
        used[..., : min(frames, noise_frames)] = torch.from_numpy(noise[..., :frames])
        expected = voice.generator.decode_latent(voice.generator.sample_prior(prior, 0.667, noise=used), prior.frame_mask, prior.speaker)
        waveform, sample_lengths, durations = full_graph(noise)
        np.testing.assert_array_equal(durations, prior.durations.numpy())
        assert sample_lengths.tolist() == [frames * voice.metadata.config.audio.hop_length] == [waveform.shape[-1]]
        np.testing.assert_allclose(waveform, expected.numpy(), atol=1e-5)


def test_metadata_describes_the_voice(exported):
    voice, onnx_voice, output = exported
    metadata = read_metadata(metadata_path(output))
    assert metadata.symbols.to_list() == voice.symbols.to_list()
    assert (metadata.languages, metadata.speakers, metadata.config) == (voice.languages, voice.speakers, voice.metadata.config)
    context = voice.latent_context
    assert metadata.streaming.flow.left == context.flow.left and metadata.streaming.flow.right == context.flow.right
    assert metadata.streaming.decoder.left == context.decoder.left and metadata.streaming.decoder.right == context.decoder.right
    document = metadata.to_dict()
    assert document["audio"] == {"sample_rate": 22050, "samples_per_frame": 256}
    assert type(metadata).from_dict(document, "round trip") == metadata


def test_a_shape_frozen_by_tracing_fails_the_export(tmp_path, monkeypatch):
    """The old ``sequence_mask`` turned the frame count into a Python int: traced, every sentence got the example's length."""

    def frozen_sequence_mask(lengths: torch.Tensor, max_length: int | None = None) -> torch.Tensor:
        max_length = int(lengths.max()) if max_length is None else max_length
        return torch.arange(max_length)[None, :] < lengths[:, None]

    monkeypatch.setattr(vits, "sequence_mask", frozen_sequence_mask)
    voice_path = make_voice(tmp_path / "tiny.safetensors", "hifigan", 0.0)
    with pytest.raises(OnnxExportError, match="full graph"):
        export_onnx(voice_path, tmp_path / "voice.onnx")
    assert [path.name for path in tmp_path.iterdir()] == ["tiny.safetensors"]  # nothing half-made is left behind


def test_export_command_refuses_bad_input(tmp_path):
    for arguments, fragment in (
        ([str(tmp_path / "missing.safetensors"), "-o", str(tmp_path / "voice.onnx")], "voice file not found"),
        ([str(tmp_path / "missing.safetensors"), "-o", str(tmp_path / "voice.txt")], "must name the full graph's .onnx file"),
    ):
        result = CliRunner().invoke(app, ["export", *arguments])
        assert result.exit_code == 1, result.output
        assert result.output.strip().startswith("error: ") and fragment in result.output and "Traceback" not in result.output


def test_export_never_replaces_an_earlier_export_unasked(exported):
    voice, _, output = exported
    before = {path: path.read_bytes() for path in output.parent.glob("voice.*")}
    result = CliRunner().invoke(app, ["export", "-o", str(output)])
    assert result.exit_code == 1 and "--overwrite" in result.output and "Traceback" not in result.output
    assert {path: path.read_bytes() for path in output.parent.glob("voice.*")} == before
