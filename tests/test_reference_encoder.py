"""Reference encoder: a clip's timbre lands on its speaker's row; voices speak in a reference's voice."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from polyvox.audio.io import AudioError, save_audio
from polyvox.voice_file import load_voice_file, save_voice
from polyvox.config import preset
from polyvox.data.manifest import read_manifest
from polyvox.fingerprint import component_fingerprint
from polyvox.inference.reference import ReferenceClipError, reference_timbre
from polyvox.inference.voice import Voice
from polyvox.models.reference_encoder import ReferenceEncoder
from polyvox.models.vits import VitsGenerator
from polyvox.train.reference import attach_reference_encoder, nearest_speaker_accuracy, reference_loss
from polyvox.train.run import prepare_metadata


def test_padding_in_a_batch_does_not_change_a_clips_vector():
    torch.manual_seed(0)
    encoder = ReferenceEncoder(80, 16, preset("tiny").model.reference_encoder).eval()
    short = torch.randn(1, 80, 30)
    padded = torch.cat([short, torch.full((1, 80, 20), -11.5)], dim=2)
    mask_short = torch.ones(1, 1, 30)
    mask_padded = torch.cat([torch.ones(1, 1, 30), torch.zeros(1, 1, 20)], dim=2)
    assert torch.allclose(encoder(short, mask_short), encoder(padded, mask_padded), atol=1e-5)


def test_voices_without_an_encoder_keep_their_fingerprint():
    config = preset("tiny")
    assert not any("reference_encoder" in key for key in component_fingerprint_of(config))
    enabled = config.replace(**{"model.reference_encoder.enabled": True})
    assert any("reference_encoder" in key for key in component_fingerprint_of(enabled))


def component_fingerprint_of(config):
    from polyvox.voice_file import VoiceMetadata
    from polyvox.text.symbols import SymbolTable

    metadata = VoiceMetadata(config=config, symbols=SymbolTable.from_sequences([["a"]]), languages=("en",), speakers=("s",), info={})
    return component_fingerprint(metadata)


@pytest.fixture(scope="module")
def untrained_voice(small_corpus, tmp_path_factory) -> Path:
    """A tiny voice with the small corpus's tables (4 speakers, en + zh) and random weights."""
    corpus, _ = small_corpus
    utterances = read_manifest(corpus / "manifest.jsonl")
    config = preset("tiny", ("en", "zh"))
    metadata = prepare_metadata(config, utterances)
    torch.manual_seed(1)
    model = metadata.config.model
    generator = VitsGenerator(model, len(metadata.symbols), len(metadata.languages), 80, 256)
    return save_voice(tmp_path_factory.mktemp("voice") / "voice.safetensors", generator.state_dict(), metadata)


@pytest.fixture(scope="module")
def attached(untrained_voice, small_corpus, tmp_path_factory):
    corpus, _ = small_corpus
    folder = tmp_path_factory.mktemp("attach")
    torch.manual_seed(2)
    result = attach_reference_encoder(
        untrained_voice, corpus / "manifest.jsonl", folder / "voice.safetensors", folder / "run", steps=150, batch_size=8, progress=False
    )
    return result


def test_attaching_trains_only_the_encoder_and_places_clips_on_their_speaker(untrained_voice, attached):
    before, _ = load_voice_file(untrained_voice)
    after, metadata = load_voice_file(attached.voice_path)
    assert metadata.config.model.reference_encoder.enabled
    assert {name for name in after if not name.startswith("reference_encoder.")} == set(before)
    for name, tensor in before.items():
        assert torch.equal(after[name], tensor), name
    assert any(name.startswith("reference_encoder.") for name in after)
    voice = Voice.load(attached.voice_path)
    assert attached.final_loss < 0.05
    assert attached.validation_accuracy is not None and attached.validation_accuracy >= 0.75


def test_timbre_of_each_speakers_clip_is_closest_to_that_speaker(attached, small_corpus):
    corpus, _ = small_corpus
    voice = Voice.load(attached.voice_path)
    rows = voice.generator.speaker_embedding.weight.detach()
    hits = 0
    utterances = read_manifest(corpus / "manifest.jsonl")
    for utterance in utterances:
        vector = reference_timbre(voice, utterance.audio)
        hits += int(torch.cdist(vector[None], rows).argmin()) == voice.speakers.index(utterance.speaker)
    assert hits / len(utterances) >= 0.9


def test_reference_speaks_any_language_of_the_voice(attached, small_corpus):
    corpus, _ = small_corpus
    voice = Voice.load(attached.voice_path)
    utterances = read_manifest(corpus / "manifest.jsonl")
    zh_clip = next(u.audio for u in utterances if u.language == "zh")
    vector = reference_timbre(voice, zh_clip)
    ids, languages, prosody = voice.text.encode(next(u.text for u in utterances if u.language == "en"), "en")
    output = voice.generator.synthesize(
        torch.tensor([ids]), torch.tensor([languages]), torch.tensor([len(ids)]), torch.tensor([0]), prosody_ids=torch.tensor([prosody]),
        speaker_vectors=vector[None], noise_generator=torch.Generator().manual_seed(0),
    )
    assert torch.isfinite(output.waveform).all() and output.waveform.abs().max() > 0


def test_reference_loss_is_part_of_joint_training():
    config = preset("tiny").replace(**{"model.reference_encoder.enabled": True})
    generator = VitsGenerator(config.model, 10, 1, 80, 256)
    from polyvox.data.dataset import Batch

    batch = Batch(
        phoneme_ids=torch.ones(2, 3, dtype=torch.long), language_ids=torch.zeros(2, 3, dtype=torch.long),
        text_lengths=torch.tensor([3, 3]), mel=torch.randn(2, 80, 60), mel_lengths=torch.tensor([60, 45]),
        waveform=torch.zeros(2, 1, 60 * 256), speaker_ids=torch.tensor([0, 0]),
        durations=torch.zeros(2, 3, dtype=torch.long), has_durations=torch.tensor([False, False]),
    )
    loss = reference_loss(generator, batch, config.model.reference_encoder.crop_frames)
    loss.backward()
    assert torch.isfinite(loss)
    assert generator.reference_encoder.projection[-1].weight.grad is not None
    # The speaker rows are targets, not moved by this loss.
    assert generator.speaker_embedding.weight.grad is None
    assert 0.0 <= nearest_speaker_accuracy(generator, batch) <= 1.0


def test_bad_reference_clips(attached, untrained_voice, tmp_path):
    voice = Voice.load(attached.voice_path)
    rate = voice.sample_rate
    silent = tmp_path / "silent.wav"
    save_audio(silent, np.zeros(rate, dtype=np.float32), rate)
    with pytest.raises(ReferenceClipError, match="silent"):
        reference_timbre(voice, silent)
    short = tmp_path / "short.wav"
    save_audio(short, (0.1 * np.sin(np.arange(rate // 10) * 0.05)).astype(np.float32), rate)
    with pytest.raises(ReferenceClipError, match="at least"):
        reference_timbre(voice, short)
    not_audio = tmp_path / "notes.wav"
    not_audio.write_text("this is not audio")
    with pytest.raises(AudioError):
        reference_timbre(voice, not_audio)
    with pytest.raises(ReferenceClipError, match="no reference encoder"):
        reference_timbre(Voice.load(untrained_voice), silent)


def test_finetuning_starts_a_new_speaker_at_its_clips_timbre(attached, engine, tmp_path):
    from polyvox.data.corpus import generate_corpus
    from polyvox.data.manifest import write_manifest
    from polyvox.finetune.plan import FinetuneOptions, plan_finetune
    from polyvox.inference.reference import timbre_vector

    generate_corpus(tmp_path / "en", ["en"], 3, 3, seed=5, progress=False, engine=engine)
    voice = Voice.load(attached.voice_path)
    new = [u for u in read_manifest(tmp_path / "en" / "manifest.jsonl") if u.speaker not in voice.speakers]
    speaker = new[0].speaker
    write_manifest(tmp_path / "new.jsonl", [u for u in new if u.speaker == speaker])
    plan = plan_finetune(attached.voice_path, tmp_path / "new.jsonl", tmp_path / "out.safetensors", tmp_path / "run", FinetuneOptions())
    row = plan.module.generator.speaker_embedding.weight[plan.metadata.speakers.index(speaker)].detach()
    expected = timbre_vector(voice.generator, voice.metadata.config.audio, [u.audio for u in new if u.speaker == speaker])
    assert torch.allclose(row, expected, atol=1e-5)
    assert any("timbre" in line for line in plan.report.lines())


def test_say_speaks_in_a_reference_clips_voice(attached, small_corpus, tmp_path):
    from typer.testing import CliRunner

    from polyvox.cli import app

    corpus, _ = small_corpus
    utterances = read_manifest(corpus / "manifest.jsonl")
    clip = next(u.audio for u in utterances if u.language == "zh")
    text = next(u.text for u in utterances if u.language == "en")
    voice = Voice.load(attached.voice_path)
    with_reference = voice.synthesize(text, language="en", reference=clip, seed=3)
    streamed = np.concatenate(list(voice.stream(text, language="en", reference=clip, seed=3)))
    assert np.allclose(with_reference.samples, streamed, atol=1e-4)
    own_speaker = voice.synthesize(text, language="en", seed=3).samples
    assert len(own_speaker) != len(streamed) or not np.allclose(own_speaker, streamed, atol=1e-3)

    runner = CliRunner()
    output = tmp_path / "cloned.wav"
    result = runner.invoke(app, ["say", text, "--voice", str(attached.voice_path), "--lang", "en", "--reference", clip, "-o", str(output)])
    assert result.exit_code == 0, result.output
    assert output.exists()
    both = runner.invoke(app, ["say", text, "--voice", str(attached.voice_path), "--reference", clip, "--speaker", "0", "-o", str(tmp_path / "x.wav")])
    assert both.exit_code == 1 and "not both" in both.output
    assert not (tmp_path / "x.wav").exists()
