"""A style voice's ONNX export: the graphs take the style vector, the json its label rows and neutral style, a style
sampler is two more graphs, and ``OnnxVoice`` speaks an emotion at a strength, or a sampled style, as ``Voice`` does
(style references: tests/test_onnx_style_reference.py)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import onnxruntime
import pytest
import soundfile
import torch
from onnx_voices import LOG_FRAMES_BIAS, make_voice
from test_onnx_export import text_batch
from tiny_voices import ENGLISH, SPEAKERS, covering_symbols
from typer.testing import CliRunner

from polyvox.cli import app
from polyvox.config import preset
from polyvox.export.metadata import STYLE_INPUT, OnnxVoiceError, OnnxVoiceMetadata, metadata_path
from polyvox.export.onnx_export import export_onnx
from polyvox.inference.batch import one_torch_thread
from polyvox.inference.onnx_voice import OnnxVoice
from polyvox.inference.result import SynthesisError
from polyvox.inference.voice import Voice
from polyvox.models.vits import VitsGenerator
from polyvox.voice_file import VoiceMetadata, save_voice

LABELS = ("calm", "excited")
STYLE_CHANNELS = 8
NO_NOISE = {"noise_scale": 0.0, "noise_scale_duration": 0.0}


def make_style_voice(path: Path) -> Path:
    """A tiny en+es voice with style labels and a sampler, its style parts random (untrained ones shift nothing)."""
    config = preset("tiny", ("en", "es"), n_speakers=len(SPEAKERS)).replace(**{
        "model.duration.stochastic_weight": 0.5, "model.style.enabled": True, "model.style.labels": LABELS,
        "model.style.style_channels": STYLE_CHANNELS, "model.style_sampler.enabled": True,
    })
    symbols = covering_symbols(config)
    metadata = VoiceMetadata(config=config, symbols=symbols, languages=("en", "es"), speakers=SPEAKERS, info={})
    torch.manual_seed(0)
    generator = VitsGenerator(config.model, len(symbols), 2, config.audio.n_mels, config.audio.hop_length)
    with torch.no_grad():
        generator.duration_predictor.output_projection.bias.fill_(LOG_FRAMES_BIAS)
        style = generator.style_encoder
        for projection in (style.to_speaker, style.to_prior):
            projection.weight.normal_(0.0, 0.3)
        style.label_table.weight.normal_(0.0, 1.0)
        style.neutral.uniform_(-0.3, 0.3)
    return save_voice(path, generator.state_dict(), metadata)


@pytest.fixture(scope="module")
def voices(tmp_path_factory) -> Iterator[tuple[Voice, OnnxVoice, Path]]:
    """The style voice in PyTorch and in onnxruntime; exported through the CLI."""
    folder = tmp_path_factory.mktemp("style_onnx")
    with one_torch_thread():
        voice_path = make_style_voice(folder / "styled.safetensors")
        output = folder / "voice.onnx"
        result = CliRunner().invoke(app, ["export", str(voice_path), "-o", str(output)])
        assert result.exit_code == 0, result.output
        yield Voice.load(voice_path), OnnxVoice.load(output, threads=1), output


def test_every_graph_takes_the_style_and_the_json_holds_the_tables(voices):
    voice, onnx_voice, output = voices
    for kind in ("full", "encoder", "decoder"):
        assert onnx_voice.metadata.graphs[kind].inputs[-1] == STYLE_INPUT
    document = json.loads(metadata_path(output).read_text(encoding="utf-8"))
    assert document["format_version"] == 2
    encoder = voice.generator.style_encoder
    assert document["style"]["labels"] == list(LABELS)
    assert set(document["graphs"]) == {"full", "encoder", "decoder", "style_encoder", "style_condition", "style_velocity"}
    assert all((output.parent / graph["file"]).is_file() for graph in document["graphs"].values())
    np.testing.assert_array_equal(np.float32(document["style"]["neutral"]), encoder.neutral.numpy())
    rows = encoder.label_vectors(torch.arange(len(LABELS))).detach().numpy()
    np.testing.assert_array_equal(np.float32(document["style"]["label_vectors"]), rows)
    document.pop("style")
    with pytest.raises(OnnxVoiceError, match="'style' section do not match"):
        OnnxVoiceMetadata.from_dict(document, "voice.onnx.json")


def test_graphs_match_pytorch_for_the_same_noise_and_styles(voices):
    voice, onnx_voice, output = voices
    generator = voice.generator
    batch = text_batch(voice, (9, 14), seed=1)
    styles = torch.tanh(torch.randn(2, STYLE_CHANNELS, generator=torch.Generator().manual_seed(3)))
    with one_torch_thread():
        prior = generator.encode_prior(
            batch["phoneme_ids"], batch["language_ids"], batch["text_lengths"], batch["speaker_ids"], batch["length_scale"],
            batch["noise_scale_duration"].view(-1, 1, 1), duration_noise=batch["duration_noise"],
            prosody_ids=batch["prosody_ids"], style_vectors=styles,
        )
        noise = torch.randn(prior.means.shape, generator=torch.Generator().manual_seed(5))
        latent = generator.sample_prior(prior, 0.667, noise=noise)
        waveform = generator.decode_latent(latent, prior.frame_mask, prior.speaker, prior.prosody_speaker)

    onnx_prior = onnx_voice.encode_prior(*(batch[name].numpy() for name in batch), style_vectors=styles.numpy())
    np.testing.assert_array_equal(onnx_prior.durations, prior.durations.numpy())
    assert prior.frame_lengths.min() > 5
    np.testing.assert_allclose(onnx_prior.means, prior.means.numpy(), atol=1e-5)
    onnx_latent = onnx_voice.sample_prior(onnx_prior, 0.667, noise.numpy())
    onnx_waveform = onnx_voice.decode_latent(onnx_latent, onnx_prior.frame_mask, batch["speaker_ids"].numpy(), style_vectors=styles.numpy())
    np.testing.assert_allclose(onnx_waveform, waveform.numpy(), atol=1e-5)



def test_the_full_graph_gives_the_two_stage_audio_of_a_style(voices):
    voice, onnx_voice, output = voices
    batch = text_batch(voice, (11,), seed=3)
    style = onnx_voice.metadata.style.style(1, 0.8)
    prior = onnx_voice.encode_prior(*(batch[name].numpy() for name in batch), style_vectors=style)
    noise = np.random.default_rng(0).standard_normal(prior.means.shape, dtype=np.float32)
    expected = onnx_voice.decode_latent(onnx_voice.sample_prior(prior, 0.667, noise), prior.frame_mask, batch["speaker_ids"].numpy(), style_vectors=style)
    session = onnxruntime.InferenceSession(str(output), providers=["CPUExecutionProvider"])
    feed = {name: value.numpy() for name, value in batch.items()} | {
        "noise_scale": np.array([0.667], np.float32), "prior_noise": noise, STYLE_INPUT: style,
    }
    inputs = {item.name for item in session.get_inputs()}
    waveform = session.run(None, {name: value for name, value in feed.items() if name in inputs})[0]
    np.testing.assert_allclose(waveform, expected, atol=1e-5)


@pytest.mark.parametrize("request_style", [{}, {"emotion": "excited"}, {"emotion": "calm", "style_strength": 0.5}, {"emotion": "excited", "style_strength": 1.6}])
def test_an_emotion_at_a_strength_speaks_as_the_pytorch_voice(voices, request_style):
    voice, onnx_voice, _ = voices
    with one_torch_thread():
        expected = voice.synthesize(ENGLISH, speaker="es_m1", **NO_NOISE, **request_style)
    got = onnx_voice.synthesize(ENGLISH, speaker="es_m1", **NO_NOISE, **request_style)
    assert got.samples.shape == expected.samples.shape
    np.testing.assert_allclose(got.samples, expected.samples, atol=1e-5)


def test_emotions_differ_and_streaming_joins_to_the_same_audio(voices):
    onnx_voice = voices[1]
    neutral = onnx_voice.synthesize(ENGLISH, seed=4).samples
    excited = onnx_voice.synthesize(ENGLISH, seed=4, emotion="excited").samples
    assert neutral.shape != excited.shape or not np.allclose(neutral, excited, atol=1e-3)
    np.testing.assert_array_equal(onnx_voice.synthesize(ENGLISH, seed=4, emotion="excited", style_strength=0.0).samples, neutral)
    chunks = list(onnx_voice.stream(ENGLISH, seed=4, emotion="excited", first_chunk_frames=3, chunk_frames=8))
    np.testing.assert_allclose(np.concatenate(chunks), excited, atol=1e-6)


@pytest.mark.parametrize(("steps", "scale"), [(10, 1.0), (3, 2.5), (5, 0.0)])
def test_the_sampler_graphs_draw_pytorchs_style_from_the_same_noise(voices, steps, scale):
    voice, onnx_voice, _ = voices
    generator = voice.generator
    encoded = onnx_voice.encode(ENGLISH, "en")
    ids, languages, prosody = encoded
    with one_torch_thread():
        speaker = generator.speaker_vector(torch.tensor([1]))
        condition = generator.style_condition(
            torch.tensor([ids]), torch.tensor([languages]), torch.tensor([len(ids)]), speaker, torch.tensor([prosody])
        )
        expected = generator.style_sampler.sample(condition, steps, scale, torch.Generator().manual_seed(9))
    onnx_condition = onnx_voice.style_sampler.sentence_condition(encoded, 1)
    np.testing.assert_allclose(onnx_condition, condition.numpy(), atol=1e-5)
    start = torch.randn(1, STYLE_CHANNELS, generator=torch.Generator().manual_seed(9)).numpy()
    got = onnx_voice.style_sampler.sample(onnx_condition, steps, scale, start)
    np.testing.assert_allclose(got, expected.numpy(), atol=1e-5)


def test_a_sampled_style_repeats_with_its_seed_and_streams(voices):
    onnx_voice = voices[1]
    first = onnx_voice.synthesize(ENGLISH, seed=2, style="sample").samples
    np.testing.assert_array_equal(onnx_voice.synthesize(ENGLISH, seed=2, style="sample").samples, first)
    other = onnx_voice.synthesize(ENGLISH, seed=3, style="sample", style_steps=4, style_scale=2.0).samples
    assert first.shape != other.shape or not np.allclose(first, other, atol=1e-3)
    chunks = list(onnx_voice.stream(ENGLISH, seed=2, style="sample", first_chunk_frames=3, chunk_frames=8))
    np.testing.assert_allclose(np.concatenate(chunks), first, atol=1e-6)


def test_bad_emotions_are_refused_as_by_torch(voices):
    voice, onnx_voice, _ = voices
    with pytest.raises(SynthesisError) as from_torch:
        voice.synthesize(ENGLISH, emotion="angry")
    with pytest.raises(SynthesisError) as from_onnx:
        onnx_voice.synthesize(ENGLISH, emotion="angry")
    assert str(from_onnx.value) == str(from_torch.value) and "calm, excited" in str(from_onnx.value)


def test_say_takes_emotion_and_strength_with_the_onnx_engine(voices, tmp_path):
    onnx_voice, onnx_path = voices[1], voices[2]
    output = tmp_path / "out.wav"
    arguments = ["say", ENGLISH, "--engine", "onnx", "--voice", str(onnx_path), "--seed", "1"]
    result = CliRunner().invoke(app, [*arguments, "--emotion", "calm", "--style-strength", "0.7", "-o", str(output)])
    assert result.exit_code == 0, result.output
    expected = onnx_voice.synthesize(ENGLISH, seed=1, emotion="calm", style_strength=0.7).samples
    assert soundfile.info(str(output)).frames == len(expected)
    listed = CliRunner().invoke(app, ["say", "--engine", "onnx", "--voice", str(onnx_path), "--list-emotions"])
    assert listed.stdout.split() == list(LABELS)
    sampled = CliRunner().invoke(app, [*arguments, "--style", "sample", "--style-steps", "4", "-o", str(tmp_path / "sampled.wav")])
    assert sampled.exit_code == 0, sampled.output
    assert soundfile.info(str(tmp_path / "sampled.wav")).frames == len(onnx_voice.synthesize(ENGLISH, seed=1, style="sample", style_steps=4).samples)


def test_a_voice_without_style_exports_as_before(tmp_path):
    with one_torch_thread():
        exported = export_onnx(make_voice(tmp_path / "plain.safetensors", "hifigan", 0.0), tmp_path / "voice.onnx")
    document = json.loads(exported.metadata_path.read_text(encoding="utf-8"))
    assert document["format_version"] == 1 and "style" not in document and set(document["graphs"]) == {"full", "encoder", "decoder"}
    assert all(STYLE_INPUT not in graph.inputs for graph in exported.metadata.graphs.values())


def test_an_emotions_stored_correction_is_applied_by_the_onnx_engine_as_by_pytorch(voices, tmp_path):
    """The export's info carries ``style_prosody`` (polyvox finetune --match-style): OnnxVoice reshapes the label's
    speech by it at the request's strength, as Voice does, and leaves other labels and the neutral style alone."""
    import dataclasses
    import shutil

    from polyvox.audio.prosody_shape import shape_prosody
    from polyvox.inference.style_prosody import STYLE_PROSODY_INFO, LabelProsody
    from polyvox.voice_file import load_voice_file

    voice, onnx_voice, output = voices
    copy = Path(shutil.copytree(output.parent, tmp_path / "export")) / output.name
    document = json.loads(metadata_path(copy).read_text(encoding="utf-8"))
    correction = LabelProsody(semitones=2.0, range_factor=1.3, unvoiced=False, gain_db=1.5)
    document["info"][STYLE_PROSODY_INFO] = json.dumps({"excited": correction.to_json()})
    metadata_path(copy).write_text(json.dumps(document), encoding="utf-8")
    corrected = OnnxVoice.load(copy, threads=1)
    sentence = ENGLISH.split(". ")[-1]  # one sentence: each is reshaped on its own
    asked = {"emotion": "excited", "style_strength": 0.6, "pitch": 1.0, **NO_NOISE}
    trained = onnx_voice.synthesize(sentence, speaker=SPEAKERS[0], **{**asked, "pitch": 0.0}).samples
    spoken = corrected.synthesize(sentence, speaker=SPEAKERS[0], **asked).samples
    np.testing.assert_array_equal(spoken, shape_prosody(trained, voice.sample_rate, correction.at_strength(0.6, 1.0)))
    for plain in ({"emotion": "calm", **NO_NOISE}, NO_NOISE):
        np.testing.assert_array_equal(corrected.synthesize(ENGLISH, **plain).samples, onnx_voice.synthesize(ENGLISH, **plain).samples)
    # PyTorch reads the same table from its voice file and reshapes its own speech alike (the engines' audio differs by
    # ~1e-5 before WORLD, which its F0 tracking can widen to ~1e-3).
    tensors, metadata = load_voice_file(output.parent / "styled.safetensors")
    torch_path = save_voice(tmp_path / "styled.safetensors", tensors, dataclasses.replace(metadata, info={**metadata.info, **document["info"]}))
    with one_torch_thread():
        torch_trained = voice.synthesize(sentence, speaker=SPEAKERS[0], **{**asked, "pitch": 0.0}).samples
        torch_spoken = Voice.load(torch_path).synthesize(sentence, speaker=SPEAKERS[0], **asked).samples
    np.testing.assert_array_equal(torch_spoken, shape_prosody(torch_trained, voice.sample_rate, correction.at_strength(0.6, 1.0)))


def test_a_style_reference_takes_its_nearest_labels_stored_correction_in_both_engines(voices, tmp_path, monkeypatch):
    """Both engines ask ``nearest_label`` where a clip's style lies and reshape the speech by that label's stored
    correction at the strength it gives (where a clip lands is tests/test_style_prosody.py's; a tiny random voice's
    clips land nearer neutral than any row, so the answer is fixed here)."""
    import dataclasses
    import shutil

    from polyvox.audio.prosody_shape import shape_prosody
    from polyvox.inference import request as request_module
    from polyvox.inference.style_prosody import STYLE_PROSODY_INFO, LabelProsody
    from polyvox.voice_file import load_voice_file

    voice, onnx_voice, output = voices
    clip = tmp_path / "clip.wav"
    times = np.arange(int(1.4 * voice.sample_rate)) / voice.sample_rate
    soundfile.write(clip, (0.3 * np.sin(2 * np.pi * 150.0 * times)).astype(np.float32), voice.sample_rate)
    correction = LabelProsody(3.0, 1.3, False, 2.0)
    info = {STYLE_PROSODY_INFO: json.dumps({"excited": correction.to_json()})}
    copy = Path(shutil.copytree(output.parent, tmp_path / "export")) / output.name
    document = json.loads(metadata_path(copy).read_text(encoding="utf-8"))
    document["info"].update(info)
    metadata_path(copy).write_text(json.dumps(document), encoding="utf-8")
    tensors, metadata = load_voice_file(output.parent / "styled.safetensors")
    torch_path = save_voice(tmp_path / "styled.safetensors", tensors, dataclasses.replace(metadata, info={**metadata.info, **info}))
    asked = {"style_reference": str(clip), "style_strength": 0.8, **NO_NOISE}
    sentence = ENGLISH.split(". ")[-1]
    seen = []

    def nearest(style, neutral, rows, labels):
        seen.append((np.asarray(style).shape, tuple(labels)))
        return "excited", 0.7

    monkeypatch.setattr(request_module, "nearest_label", nearest)
    with one_torch_thread():
        for plain, corrected in ((onnx_voice, OnnxVoice.load(copy, threads=1)), (voice, Voice.load(torch_path))):
            trained = plain.synthesize(sentence, speaker=SPEAKERS[0], **asked).samples
            spoken = corrected.synthesize(sentence, speaker=SPEAKERS[0], **asked).samples
            np.testing.assert_array_equal(spoken, shape_prosody(trained, voice.sample_rate, correction.at_strength(0.7)))
            chunks = list(corrected.stream(sentence, speaker=SPEAKERS[0], **asked))
            assert len(chunks) == 1
            np.testing.assert_allclose(chunks[0], spoken, atol=1e-6)
    assert seen and all(labels == LABELS and shape[-1] == STYLE_CHANNELS for shape, labels in seen)
