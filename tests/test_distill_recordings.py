"""``polyvox distill --student decoder --recordings MANIFEST``: a decoder student that learns to make recordings from
the latents the source voice decodes for their sentences, timed as each recording."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch
from test_distill import LANGUAGES, SENTENCES, SPEAKERS, assert_one_line_error, tiny_source
from test_distill_decoder import decoder_options, one_thread  # noqa: F401 (autouse: one torch thread)

from typer.testing import CliRunner

from polyvox.audio.io import load_audio
from polyvox.cli import app
from polyvox.data.manifest import read_manifest, write_manifest
from polyvox.voice_file import decoder_tensors, load_voice_file
from polyvox.distill import DistillError, distill
from polyvox.distill.corpus import build_corpus
from polyvox.distill.decoder_pairs import DecoderPair
from polyvox.distill.plan import plan_clips
from polyvox.distill.decoder_student import build_student_decoder, student_decoder_config
from polyvox.distill.decoder_training import _segments, _start_from
from polyvox.distill.recording_pairs import build_recording_pairs
from polyvox.evaluation.baselines import CopySynthesis
from polyvox.evaluation.aligned_synthesis import AlignedSynthesis
from polyvox.evaluation.sources import Recording
from polyvox.inference.batch import one_torch_thread
from polyvox.inference.voice import Voice


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """The tiny source and a manifest of recordings in its speakers (its own speech, standing for a user's)."""
    root = tmp_path_factory.mktemp("recordings")
    source = tiny_source(root / "source.safetensors")
    with one_torch_thread():
        corpus = build_corpus(Voice.load(source), root / "corpus", plan_clips(SPEAKERS, LANGUAGES, SENTENCES, seed=0), 0, False)
    return source, corpus.manifest


def test_a_pair_is_the_recording_and_the_latent_the_voice_decodes_with_its_timing(recorded, tmp_path):
    source, manifest = recorded
    voice = Voice.load(source)
    utterances = read_manifest(manifest)
    paths = build_recording_pairs(voice, manifest, tmp_path, seed=7, progress=False, latent="synthesis")
    assert len(paths) == len(utterances)
    # Taken in turn from each speaker and language, so the pairs held out for validation stand for all of them.
    groups = {(u.speaker, u.language) for u in utterances}
    first = [utterances[int(path.name.split("_")[0])] for path in paths[: len(groups)]]
    assert {(u.speaker, u.language) for u in first} == groups
    paths = sorted(paths)  # manifest order, to compare pairs with their utterances below
    rate, hop = voice.metadata.config.audio.sample_rate, voice.metadata.config.audio.hop_length
    for index in (0, len(paths) - 1):
        pair, utterance = DecoderPair.load(paths[index]), utterances[index]
        recording = load_audio(utterance.audio, rate)
        assert pair.waveform.shape == (pair.latent.shape[1] * hop,)
        assert abs(pair.latent.shape[1] * hop - recording.shape[0]) < 2 * hop  # timed as the recording
        shared = min(recording.shape[0], pair.waveform.shape[0])
        assert np.abs(pair.waveform[:shared] - recording[:shared]).max() <= 0.5 / 32767 + 1e-6
        # The latent is what the voice decodes when it speaks the sentence with the recording's timing and the same noise.
        aligner = AlignedSynthesis(voice, seed=7 + index, noise_scale=voice.text.synthesis.noise_scale)
        spoken = aligner(Recording("clip", utterance, recording))
        with torch.no_grad():
            decoded = voice.generator.decoder(torch.from_numpy(pair.latent)[None], torch.from_numpy(pair.speaker)[None, :, None])
        assert np.abs(decoded[0, 0].numpy()[: spoken.shape[0]] - spoken).max() < 1e-4
        assert pair.speaker.shape == (voice.metadata.config.model.speaker_channels,)


def test_a_posterior_pair_is_the_recordings_copy_synthesis_input_sampled_afresh_in_training(recorded, tmp_path):
    source, manifest = recorded
    voice = Voice.load(source)
    utterance = read_manifest(manifest)[0]
    paths = build_recording_pairs(voice, manifest, tmp_path, seed=0, progress=False, latent="posterior")
    pair = DecoderPair.load(paths[0])
    recording = load_audio(utterance.audio, voice.metadata.config.audio.sample_rate)
    copied = CopySynthesis(voice)(Recording("clip", utterance, recording))
    with torch.no_grad():
        decoded = voice.generator.decoder(torch.from_numpy(pair.latent)[None], torch.from_numpy(pair.speaker)[None, :, None])
    assert np.abs(decoded[0, 0].clamp(-1, 1).numpy() - copied).max() < 1e-4  # the means: what copy-synthesis decodes
    assert pair.latent_log_scales.shape == pair.latent.shape
    # Training reads a new sample each time: the segment's difference from the means is noise of the posterior's scale.
    frames = pair.latent.shape[1]
    batch = _segments([pair], np.random.default_rng(0), 2, frames, 0, voice.metadata.config.audio.hop_length, False)
    standardised = (batch.latent.numpy() - pair.latent[None]) / np.exp(pair.latent_log_scales)[None]
    assert 0.9 < standardised.std() < 1.1 and abs(standardised.mean()) < 0.1
    assert not np.allclose(batch.latent[0], batch.latent[1])


def test_a_student_trained_on_recordings_speaks_and_says_what_it_learned_from(recorded, tmp_path):
    source, manifest = recorded
    result = distill(decoder_options(source, tmp_path / "fast.safetensors", work=tmp_path / "work", recordings=manifest))
    assert f"recordings of {manifest.name} with their posterior latents" in result.summary
    student = Voice.load(result.output)
    assert student.metadata.info["decoder_recordings"] == manifest.name
    assert student.metadata.info["decoder_recording_latent"] == "posterior"
    samples = student.synthesize("hola", language="es", speaker="es_m1", seed=0).samples
    assert samples.size > 0 and np.isfinite(samples).all()
    # The work folder is the recordings' and is refused for the source decoder's own speech.
    with pytest.raises(DistillError, match="recordings_sha256"):
        distill(decoder_options(source, tmp_path / "other.safetensors", work=tmp_path / "work"))
    with pytest.raises(DistillError, match="recording_latent"):
        distill(decoder_options(source, tmp_path / "other.safetensors", work=tmp_path / "work", recordings=manifest,
                                recording_latent="synthesis"))


def test_recordings_refusals(recorded, tmp_path):
    source, manifest = recorded
    with pytest.raises(DistillError, match="--recordings is for decoder students"):
        decoder_options(source, tmp_path / "x.safetensors", student="whole", recordings=manifest)
    with pytest.raises(DistillError, match="unknown --recording-latent 'mel'"):
        decoder_options(source, tmp_path / "x.safetensors", recordings=manifest, recording_latent="mel")
    with pytest.raises(DistillError, match="no such manifest"):
        decoder_options(source, tmp_path / "x.safetensors", recordings=tmp_path / "missing.jsonl")
    strangers = tmp_path / "strangers.jsonl"
    utterances = read_manifest(manifest)
    write_manifest(strangers, [u.__class__(**{**u.__dict__, "speaker": "someone"}) for u in utterances])
    with pytest.raises(DistillError, match="none of its speakers \\(someone\\) is one of the voice's"):
        distill(decoder_options(source, tmp_path / "x.safetensors", work=tmp_path / "w", recordings=strangers))
    assert not (tmp_path / "x.safetensors").exists()
    broken = tmp_path / "broken.jsonl"
    broken.write_text(json.dumps({"audio": "a.wav"}) + "\n", encoding="utf-8")
    with pytest.raises(DistillError, match="--recordings"):
        distill(decoder_options(source, tmp_path / "y.safetensors", work=tmp_path / "w2", recordings=broken))


def test_the_command_line_passes_the_recordings_on_and_refuses_in_one_line(recorded, tmp_path):
    source, manifest = recorded
    whole = CliRunner().invoke(app, ["distill", "--from", str(source), "-o", str(tmp_path / "w.safetensors"), "--recordings", str(manifest)])
    assert_one_line_error(whole, "--recordings is for decoder students")
    unknown = CliRunner().invoke(app, ["distill", "--from", str(source), "-o", str(tmp_path / "w.safetensors"), "--student", "decoder",
                                       "--recordings", str(manifest), "--recording-latent", "mel"])
    assert_one_line_error(unknown, "unknown --recording-latent 'mel'")
    assert not (tmp_path / "w.safetensors").exists() and not (tmp_path / "w.distill").exists()


def test_a_student_may_start_from_the_sources_decoder_and_then_speaks_as_it(recorded, tmp_path):
    source, manifest = recorded
    voice = Voice.load(source)
    # The tiny preset's decoder is the source's; with a harmonic source added, its stages start silent.
    config = dataclasses.replace(student_decoder_config(voice.metadata, "tiny"), harmonic_source=True)
    student = build_student_decoder(voice.metadata, config, seed=3)
    saved = decoder_tensors(load_voice_file(source)[0])  # the file's (a loaded voice's weight norm is folded)
    _start_from(student, saved)
    latent = torch.randn(1, voice.metadata.config.model.inter_channels, 20)
    speaker = voice.generator.speaker_vector(torch.tensor([0]))
    with torch.no_grad():
        assert torch.allclose(student.eval()(latent, speaker), voice.generator.decoder(latent, speaker), atol=1e-5)
    with pytest.raises(DistillError, match="the source's decoder does not fit the student's"):
        _start_from(build_student_decoder(voice.metadata, student_decoder_config(voice.metadata, "small"), 0), saved)
    result = distill(decoder_options(source, tmp_path / "fast.safetensors", work=tmp_path / "work", recordings=manifest,
                                     preset="tiny", decoder_from_source=True, recording_latent="posterior"))
    assert load_voice_file(result.output)[1].info["decoder_start"] == "source"
    with pytest.raises(DistillError, match="--decoder-from-source is for decoder students"):
        decoder_options(source, tmp_path / "x.safetensors", student="whole", decoder_from_source=True)
