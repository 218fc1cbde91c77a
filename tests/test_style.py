"""Style apart from the speaker (#20 item 1): a style vector from a label, a clip or the neutral mean, on tiny voices."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from polyvox.cli import app
from polyvox.config import ConfigError, StyleConfig, preset
from polyvox.data.manifest import ManifestError, Utterance, read_manifest
from polyvox.fingerprint import CompatibilityError
from polyvox.inference.batch_items import read_batch_items
from polyvox.inference.result import SynthesisError
from polyvox.inference.voice import Voice
from polyvox.models.vits import VitsGenerator
from polyvox.train.run import train
from polyvox.voice_file import load_voice_file
from tiny_voices import make_tiny_voice

LABELS = ("calm", "excited")


def styled_manifest(corpus: Path, folder: Path) -> Path:
    """The small corpus with a style per English speaker (calm, excited); Mandarin clips stay unlabelled."""
    lines = []
    speakers: list[str] = []
    for utterance in read_manifest(corpus / "manifest.jsonl"):
        record = utterance.to_dict()
        if utterance.language == "en":
            speakers += [] if utterance.speaker in speakers else [utterance.speaker]
            record["style"] = LABELS[speakers.index(utterance.speaker) % 2]
        lines.append(json.dumps(record, ensure_ascii=False))
    path = folder / "manifest.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def train_tiny_style_voice(manifest: Path, folder: Path, steps: int, **overrides: object) -> Path:
    """A tiny voice with a style component (and ``overrides``) trained ``steps`` steps on ``manifest``, seeded."""
    config = preset("tiny").replace(**{
        "model.style.enabled": True, "model.style.hidden_channels": 16, "model.style.style_channels": 8,
        "training.max_steps": steps, "training.checkpoint_every_steps": steps, "training.audio_samples_every_steps": 1000,
        "training.discriminator_start_step": 2, "training.learning_rate": 1e-2, "training.precision": "32", **overrides,
    })
    torch.manual_seed(0)
    return train(manifest, folder / "run", config, progress=False).voice_path


@pytest.fixture(scope="module")
def styled_voice(small_corpus, tmp_path_factory) -> Path:
    corpus, _ = small_corpus
    folder = tmp_path_factory.mktemp("styled")
    return train_tiny_style_voice(styled_manifest(corpus, folder), folder, 20)


@pytest.fixture(scope="module")
def english_text(small_corpus) -> str:
    corpus, _ = small_corpus
    return next(u.text for u in read_manifest(corpus / "manifest.jsonl") if u.language == "en")


def test_a_voice_trained_with_style_saves_and_loads_with_it(styled_voice):
    tensors, metadata = load_voice_file(styled_voice)
    assert metadata.config.model.style.enabled
    assert metadata.config.model.style.labels == LABELS
    assert tensors["style_encoder.label_table.weight"].shape == (2, 8)
    assert tensors["style_encoder.neutral"].abs().sum() > 0  # training moved the neutral style off zero
    voice = Voice.load(styled_voice)
    assert voice.generator.style_encoder is not None


def test_a_labelled_clips_encoded_style_lands_nearest_its_labels_row(styled_voice, small_corpus, tmp_path):
    from polyvox.inference.style import clip_style

    voice = Voice.load(styled_voice)
    rows = voice.generator.style_encoder.label_vectors(torch.arange(len(LABELS)))
    labelled = [u for u in read_manifest(styled_manifest(small_corpus[0], tmp_path)) if u.style is not None]
    hits = 0
    for utterance in labelled:
        vector = clip_style(voice.generator, voice.metadata.config.audio, utterance.audio)
        hits += LABELS[int(torch.cdist(vector[None], rows).argmin())] == utterance.style
    assert hits / len(labelled) >= 0.9


def test_strength_zero_is_the_neutral_style_and_labels_differ(styled_voice, english_text):
    voice = Voice.load(styled_voice)
    neutral = voice.synthesize(english_text, seed=3).samples
    calm = voice.synthesize(english_text, emotion="calm", seed=3).samples
    excited = voice.synthesize(english_text, emotion="excited", seed=3).samples
    np.testing.assert_array_equal(voice.synthesize(english_text, emotion="excited", style_strength=0.0, seed=3).samples, neutral)
    assert calm.shape != excited.shape or not np.array_equal(calm, excited)
    half = voice.synthesize(english_text, emotion="calm", style_strength=0.5, seed=3).samples
    assert half.shape != calm.shape or not np.array_equal(half, calm)
    for samples in (neutral, calm, excited, half):
        assert np.isfinite(samples).all()


def test_style_reference_and_streaming(styled_voice, english_text, small_corpus):
    corpus, _ = small_corpus
    clip = next(u.audio for u in read_manifest(corpus / "manifest.jsonl") if u.language == "zh")
    voice = Voice.load(styled_voice)
    whole = voice.synthesize(english_text, style_reference=clip, seed=5).samples
    assert np.isfinite(whole).all()
    assert not np.array_equal(whole, voice.synthesize(english_text, seed=5).samples[: len(whole)])
    streamed = np.concatenate(list(voice.stream(english_text, emotion="calm", seed=5, first_chunk_frames=8, chunk_frames=16)))
    np.testing.assert_allclose(streamed, voice.synthesize(english_text, emotion="calm", seed=5).samples, atol=1e-5)


def test_unknown_emotion_fails_in_one_line_naming_the_known_ones(styled_voice, english_text, tmp_path):
    voice = Voice.load(styled_voice)
    with pytest.raises(SynthesisError, match=r"unknown emotion 'angry'; this voice knows: calm, excited"):
        voice.synthesize(english_text, emotion="angry")
    output = tmp_path / "out.wav"
    result = CliRunner().invoke(app, ["say", english_text, "--voice", str(styled_voice), "--emotion", "angry", "-o", str(output)])
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: unknown emotion 'angry'; this voice knows: calm, excited"
    assert not output.exists()
    result = CliRunner().invoke(app, ["say", english_text, "--voice", str(styled_voice), "--emotion", "calm", "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert output.is_file()
    assert CliRunner().invoke(app, ["say", "--list-emotions", "--voice", str(styled_voice)]).output.split() == list(LABELS)


def test_style_options_to_a_voice_without_style_fail_in_one_line(tmp_path):
    voice_file = make_tiny_voice(tmp_path / "plain.safetensors", seed=0)
    voice = Voice.load(voice_file)
    for options in ({"emotion": "calm"}, {"style_reference": "clip.wav"}):
        with pytest.raises(SynthesisError, match="has no style component"):
            voice.synthesize("Hello world.", **options)
    with pytest.raises(SynthesisError, match="style_strength scales an emotion or a style reference"):
        voice.synthesize("Hello world.", style_strength=0.5)
    with pytest.raises(SynthesisError, match="style_strength must be between 0 and 2"):
        voice.synthesize("Hello world.", emotion="calm", style_strength=3.0)
    arguments = ["say", "Hello world.", "--voice", str(voice_file), "--emotion", "calm", "-o", str(tmp_path / "a.wav")]
    result = CliRunner().invoke(app, arguments)
    assert result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 1
    assert "has no style component" in result.stderr
    listed = CliRunner().invoke(app, ["say", "--list-emotions", "--voice", str(voice_file)])
    assert listed.exit_code == 1 and listed.stderr.strip() == "error: this voice has no style labels (it has no style component)"


def test_a_mismatched_style_config_is_refused_on_load(styled_voice):
    _, metadata = load_voice_file(styled_voice)
    for override in ({"model.style.style_channels": 4}, {"model.style.labels": ["calm"]}, {"model.style.enabled": False}):
        with pytest.raises(CompatibilityError, match="model.style"):
            Voice.load(styled_voice, config=metadata.config.replace(**override))


def test_style_config_is_validated_and_off_by_default():
    assert not preset("tiny").model.style.enabled
    for bad in ({"kernel_size": 4}, {"labels": ("calm", "calm")}, {"labels": ("",)}, {"n_layers": 0}):
        with pytest.raises(ConfigError):
            StyleConfig(**bad)
    generator = VitsGenerator(preset("tiny").model, 10, 1, 80, 256)
    assert generator.style_encoder is None
    assert not any(name.startswith("style_encoder.") for name in generator.state_dict())


def test_manifest_style_field_and_batch_emotion(tmp_path):
    record = {"audio": "a.wav", "text": "hi", "speaker": "s", "language": "en", "duration": 1.0, "style": "calm"}
    utterance = Utterance.from_dict(record)
    assert utterance.style == "calm" and utterance.to_dict()["style"] == "calm"
    assert Utterance.from_dict({**record, "style": None}).style is None
    with pytest.raises(ManifestError, match="'style' must be a non-empty string"):
        Utterance.from_dict({**record, "style": 3})
    batch = tmp_path / "batch.jsonl"
    batch.write_text(json.dumps({"id": "one", "text": "hi", "emotion": "excited"}) + "\n" + json.dumps({"text": "ho"}) + "\n")
    items = read_batch_items(batch)
    assert [item.emotion for item in items] == ["excited", None]


def test_server_json_fields(styled_voice, english_text, tmp_path):
    pytest.importorskip("fastapi")
    pytest.importorskip("httpx")
    from fastapi.testclient import TestClient

    from polyvox.server import ServerSettings, create_app

    make_tiny_voice(tmp_path / "plain.safetensors", seed=0)
    settings = ServerSettings(default_voice=styled_voice, voices_dir=tmp_path)
    body = {"model": "tts-1", "input": english_text, "response_format": "wav", "seed": 1}
    with TestClient(create_app(settings)) as client:
        spoken = client.post("/v1/audio/speech", json={**body, "emotion": "excited", "style_strength": 1.5})
        assert spoken.status_code == 200, spoken.text
        for fields, code, message in (
            ({"emotion": "angry"}, "unknown_emotion", "unknown emotion 'angry'; voice 'default' knows: calm, excited"),
            ({"voice": "plain", "emotion": "calm"}, "no_style", "voice 'plain' has no style component"),
            ({"voice": "plain", "style_strength": 0.5}, "no_style", "voice 'plain' has no style component"),
        ):
            response = client.post("/v1/audio/speech", json={**body, **fields})
            assert response.status_code == 400, response.text
            error = response.json()["error"]
            assert error["code"] == code and message in error["message"] and "\n" not in error["message"], error


def test_doctor_checks_the_style_encoder(styled_voice):
    from polyvox.doctor import diagnose

    report = diagnose(styled_voice)
    assert report.passed
    assert "style_encoder" in [check.name for check in report.modules]
