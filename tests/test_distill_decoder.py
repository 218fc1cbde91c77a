"""``polyvox distill --student decoder``: the source voice keeps all but its decoder, which a fast decoder trained
on the source decoder's own input and output replaces."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from test_distill import LANGUAGES, SENTENCES, SPEAKERS, tiny_source

from polyvox.voice_file import load_voice_file, save_voice
from polyvox.config import preset
from polyvox.distill import DistillError, DistillOptions, distill
from polyvox.distill import decoder_pairs
from polyvox.distill.decoder_adversary import DecoderAdversary
from polyvox.distill.decoder_pairs import DecoderPair, build_pairs
from polyvox.distill.decoder_student import build_student_decoder, student_decoder_config
from polyvox.distill.decoder_training import DecoderTraining, _Losses, _segments, _validation, train_decoder
from polyvox.distill.plan import plan_clips
from polyvox.models.decoders.balanced_upsampling import phase_imbalance
from polyvox.synthesis_settings import SynthesisSettings
from polyvox.inference.batch import one_torch_thread
from polyvox.inference.voice import Voice


@pytest.fixture(autouse=True)
def one_thread():
    with one_torch_thread():
        yield


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    return tiny_source(tmp_path_factory.mktemp("decoder_source") / "source.safetensors")


def decoder_options(source, output, **changes) -> DistillOptions:
    quick = {"sentences_per_speaker": SENTENCES, "steps": 3, "preset": "small", "batch_size": 2, "checkpoint_every_steps": 2,
             "progress": False, "student": "decoder"}
    return DistillOptions(source, output, **{**quick, **changes})


def test_a_pair_is_what_synthesis_computes(source, tmp_path):
    voice = Voice.load(source)
    clip = plan_clips(SPEAKERS, LANGUAGES, 1, seed=0)[0]
    [path] = build_pairs(voice, tmp_path, [clip], seed=5, progress=False)
    pair = DecoderPair.load(path)
    ids, language_ids, prosody = voice.encode(clip.text, clip.language)
    style = SynthesisSettings.from_info(voice.metadata.info)
    spoken = voice.generator.synthesize(
        torch.tensor([ids]), torch.tensor([language_ids]), torch.tensor([len(ids)]), torch.tensor([SPEAKERS.index(clip.speaker)]),
        style.length_scale, style.noise_scale, style.noise_scale_duration, noise_generator=torch.Generator().manual_seed(5),
        prosody_ids=torch.tensor([prosody]),
    ).waveform[0, 0].clamp(-1, 1).numpy()
    assert pair.waveform.shape == spoken.shape == (pair.latent.shape[1] * voice.metadata.config.audio.hop_length,)
    assert np.abs(pair.waveform - spoken).max() <= 0.5 / 32767 + 1e-7  # stored as 16-bit samples
    assert pair.latent.shape[0] == voice.metadata.config.model.inter_channels
    assert pair.speaker.shape == (voice.metadata.config.model.speaker_channels,)


def test_training_brings_the_student_toward_the_source_decoder(source, tmp_path):
    voice = Voice.load(source)
    paths = build_pairs(voice, tmp_path / "pairs", plan_clips(SPEAKERS, LANGUAGES, SENTENCES, seed=0), seed=0, progress=False)
    config = student_decoder_config(voice.metadata, "small")
    options = DecoderTraining(steps=24, batch_size=4, learning_rate=1e-3, checkpoint_every=8, progress=False)
    trained, result = train_decoder(paths, voice.metadata, config, tmp_path / "run", options)
    held_out = [DecoderPair.load(path) for path in paths[:1]]  # 1 of 9: the held-out sentence
    untrained = _validation(build_student_decoder(voice.metadata, config, 0), held_out, _Losses(voice.metadata))
    assert result.best_validation == pytest.approx(_validation(trained, held_out, _Losses(voice.metadata)), rel=1e-5)
    assert result.best_validation < 0.9 * untrained and result.best_step in (8, 16, 24)
    # A second call with more steps goes on from the saved state; with as many, it trains nothing.
    _, again = train_decoder(paths, voice.metadata, config, tmp_path / "run", options)
    assert again.already_complete and again.steps == 24


def test_the_student_voice_is_the_source_with_a_fast_decoder(source, tmp_path, monkeypatch):
    result = distill(decoder_options(source, tmp_path / "fast.safetensors", work=tmp_path / "work"))
    source_tensors, source_metadata = load_voice_file(source)
    tensors, metadata = load_voice_file(result.output)
    assert metadata.config.model.decoder == preset("small").model.decoder != source_metadata.config.model.decoder
    assert metadata.info["distill_student"] == "decoder" and metadata.symbols == source_metadata.symbols
    kept = {name for name in source_tensors if not name.startswith("decoder.")}
    assert kept == {name for name in tensors if not name.startswith("decoder.")}
    for name in kept:  # the voice file is half precision, like every voice polyvox writes
        assert torch.equal(tensors[name], source_tensors[name].half().float()), name
    student, teacher = Voice.load(result.output), Voice.load(source)
    for clip in plan_clips(SPEAKERS, LANGUAGES, 1, seed=3):
        assert student.encode(clip.text, clip.language) == teacher.encode(clip.text, clip.language)
        samples = student.synthesize(clip.text, language=clip.language, speaker=clip.speaker, seed=0).samples
        assert samples.size > 0 and np.isfinite(samples).all()
    assert "sentences of the source decoder" in result.summary
    # A second call reuses the pairs and the finished training: nothing is computed again.
    monkeypatch.setattr(decoder_pairs, "decoder_pair", lambda *args: pytest.fail("a pair was computed again"))
    again = distill(decoder_options(source, tmp_path / "fast.safetensors", work=tmp_path / "work", overwrite=True))
    assert again.already_complete


def test_refusals(source, tmp_path):
    with pytest.raises(DistillError, match="unknown student 'vocoder'"):
        decoder_options(source, tmp_path / "x.safetensors", student="vocoder")
    with pytest.raises(DistillError, match="hop is 300 samples; the small decoder makes 256"):
        student_decoder_config(SimpleNamespace(config=SimpleNamespace(audio=SimpleNamespace(hop_length=300))), "small")


def test_a_flow_decoder_student_reads_the_priors_sample_and_has_no_flow(source, tmp_path):
    # A trained flow moves the sample (an untrained one is the identity: its couplings' output layers start at zero).
    tensors, metadata = load_voice_file(source)
    generator = torch.Generator().manual_seed(0)
    for name in [name for name in tensors if name.startswith("flow.") and "output_projection" in name]:
        tensors[name] = 0.1 * torch.randn(tensors[name].shape, generator=generator)
    source = save_voice(tmp_path / "flowing.safetensors", tensors, metadata)
    voice = Voice.load(source)
    paths = build_pairs(voice, tmp_path / "pairs", plan_clips(SPEAKERS, LANGUAGES, SENTENCES, seed=0), seed=0, progress=False)
    pair = DecoderPair.load(paths[0])
    # The flow turns the prior's sample into the decoder's input: the two differ, and the student learns both steps.
    assert pair.prior_latent.shape == pair.latent.shape and not np.allclose(pair.prior_latent, pair.latent)
    result = distill(decoder_options(source, tmp_path / "fast.safetensors", work=tmp_path / "work", student="flow-decoder"))
    tensors, metadata = load_voice_file(result.output)
    assert metadata.config.model.flow.n_flows == 0 and not any(name.startswith("flow.") for name in tensors)
    assert metadata.info["distill_student"] == "flow-decoder"
    clip = plan_clips(SPEAKERS, LANGUAGES, 1, seed=4)[0]
    student = Voice.load(result.output)
    with torch.no_grad():
        identity = student.generator.flow(torch.from_numpy(pair.prior_latent)[None], torch.ones(1, 1, pair.prior_latent.shape[1]), None, reverse=True)
    assert torch.equal(identity[0], torch.from_numpy(pair.prior_latent))
    samples = student.synthesize(clip.text, language=clip.language, speaker=clip.speaker, seed=0).samples
    assert samples.size > 0 and np.isfinite(samples).all()


def test_a_decoder_student_takes_decoder_settings(source, tmp_path):
    balanced = ("model.decoder.balanced_upsampling=true",)
    result = distill(decoder_options(source, tmp_path / "fast.safetensors", work=tmp_path / "work", overrides=balanced,
                                     discriminator_after=1))
    _, metadata = load_voice_file(result.output)
    assert metadata.info["decoder_discriminator_after"] == "1" and int(metadata.info["decoder_steps"]) >= 2
    assert metadata.config.model.decoder == dataclasses.replace(preset("small").model.decoder, balanced_upsampling=True)
    decoder = Voice.load(result.output).generator.decoder
    for upsample, rate in zip(decoder.ups, metadata.config.model.decoder.upsample_rates):  # the voice speaks balanced
        assert phase_imbalance(upsample.weight, rate) < 1e-5
    clip = plan_clips(SPEAKERS, LANGUAGES, 1, seed=3)[0]
    assert np.isfinite(Voice.load(result.output).synthesize(clip.text, language=clip.language, seed=0).samples).all()
    # The work folder is the balanced student's: going on without the setting would mix two students.
    with pytest.raises(DistillError, match="another settings, discriminator_after"):
        distill(decoder_options(source, tmp_path / "plain.safetensors", work=tmp_path / "work"))
    with pytest.raises(DistillError, match="takes model.decoder.. settings only"):
        decoder_options(source, tmp_path / "x.safetensors", overrides=("training.batch_size=4",))
    with pytest.raises(DistillError, match="unknown config key 'model.decoder.ringing'"):
        student_decoder_config(Voice.load(source).metadata, "small", ("model.decoder.ringing=false",))
    with pytest.raises(DistillError, match="must look like section.key=value"):
        decoder_options(source, tmp_path / "x.safetensors", overrides=("model.decoder.balanced_upsampling",))


def test_a_discriminator_joins_after_the_steps_asked(source, tmp_path):
    voice = Voice.load(source)
    paths = build_pairs(voice, tmp_path / "pairs", plan_clips(SPEAKERS, LANGUAGES, SENTENCES, seed=0), seed=0, progress=False)
    config = student_decoder_config(voice.metadata, "small")
    discriminator = preset("tiny").model.discriminator
    options = DecoderTraining(steps=16, batch_size=2, learning_rate=1e-3, checkpoint_every=4, progress=False,
                              discriminator=discriminator, discriminator_after=8)
    _, result = train_decoder(paths, voice.metadata, config, tmp_path / "run", options)
    assert result.best_step in (12, 16)  # chosen among the steps the discriminator trained, whatever their mel
    state = torch.load(tmp_path / "run" / "decoder_student.pt", weights_only=False)
    untrained = DecoderAdversary(discriminator, 1e-3, seed=0).discriminator.state_dict()
    trained = state["adversary"]["discriminator"]
    assert any(not torch.equal(trained[name], untrained[name]) for name in untrained)
    # Going on, the discriminator is the saved one, not a fresh one.
    loaded = DecoderAdversary(discriminator, 1e-3, seed=0)
    loaded.load_state_dict(state["adversary"])
    assert all(torch.equal(loaded.discriminator.state_dict()[name], trained[name]) for name in trained)
    _, again = train_decoder(paths, voice.metadata, config, tmp_path / "run", dataclasses.replace(options, steps=20))
    assert again.steps == 20 and again.best_step in (12, 16, 20)


def test_a_discriminator_joins_a_run_of_spectral_losses_from_where_it_stopped(source, tmp_path):
    """A run made without a discriminator goes on with one (the same command with --discriminator-after and more
    --steps), from the step it reached and not before; the discriminator then trains and the output is one of its steps."""
    work = tmp_path / "work"
    distill(decoder_options(source, tmp_path / "spectral.safetensors", work=work, steps=4))
    later = {"work": work, "steps": 8, "overwrite": True}
    with pytest.raises(DistillError, match="reached step 4 without a discriminator: .*--discriminator-after 4 or later.*not at step 2"):
        distill(decoder_options(source, tmp_path / "adversarial.safetensors", discriminator_after=2, **later))
    assert not (tmp_path / "adversarial.safetensors").exists()
    result = distill(decoder_options(source, tmp_path / "adversarial.safetensors", discriminator_after=5, **later))
    _, metadata = load_voice_file(result.output)
    assert result.steps == 8 and metadata.info["decoder_discriminator_after"] == "5" and int(metadata.info["decoder_steps"]) >= 6
    assert torch.load(work / "decoder_run" / "decoder_student.pt", weights_only=False)["adversary"] is not None
    # Once it has trained, it stays: another step or none is another run.
    with pytest.raises(DistillError, match="another discriminator_after"):
        distill(decoder_options(source, tmp_path / "other.safetensors", discriminator_after=7, **{**later, "steps": 10}))
    with pytest.raises(DistillError, match="another discriminator_after"):
        distill(decoder_options(source, tmp_path / "other.safetensors", **{**later, "steps": 10}))


def test_discriminator_refusals(source, tmp_path):
    with pytest.raises(DistillError, match="between 0 and --steps - 1 .2., got 3"):
        decoder_options(source, tmp_path / "x.safetensors", discriminator_after=3)
    with pytest.raises(DistillError, match="for decoder students"):
        decoder_options(source, tmp_path / "x.safetensors", student="whole", discriminator_after=1)


def _tone_pairs(folder, metadata, pitches_hz) -> list:
    """Pairs whose source sings one steady tone each, its pitch written into the latent's first channel."""
    audio, channels = metadata.config.audio, metadata.config.model.inter_channels
    frames, generator = 60, np.random.default_rng(0)
    folder.mkdir()
    paths = []
    for index, hz in enumerate(pitches_hz):
        latent = 0.1 * generator.standard_normal((channels, frames)).astype(np.float32)
        latent[0] = np.log(hz / 150.0)
        waveform = 0.5 * np.sin(2 * np.pi * hz * np.arange(frames * audio.hop_length) / audio.sample_rate)
        path = folder / f"{index}.npz"
        np.savez(path, latent=latent, speaker=np.zeros(metadata.config.model.speaker_channels, np.float32),
                 waveform=np.round(waveform * 32767).astype(np.int16), prior_latent=latent)
        paths.append(path)
    return paths


def test_a_harmonic_students_head_learns_the_source_pitch(source, tmp_path):
    metadata = Voice.load(source).metadata
    paths = _tone_pairs(tmp_path / "pairs", metadata, (200, 110, 250, 130, 180, 230, 120, 160, 210, 140))
    config = student_decoder_config(metadata, "small", ("model.decoder.harmonic_source=true",))
    held_out = DecoderPair.load(paths[0])  # the first of ten is held out: 200 Hz, a pitch no training pair has

    def pitch_error(decoder) -> float:
        with torch.no_grad():
            f0 = decoder.read_f0(torch.from_numpy(held_out.latent)[None], torch.from_numpy(held_out.speaker)[None, :, None])
        hz = f0[0, 5:-5] * metadata.config.audio.sample_rate
        return float(torch.where(hz > 0, (hz / 200.0).log().abs(), torch.tensor(10.0)).median())

    options = DecoderTraining(steps=40, batch_size=4, learning_rate=2e-3, checkpoint_every=20, progress=False)
    trained, _ = train_decoder(paths, metadata, config, tmp_path / "run", options)
    untrained = build_student_decoder(metadata, config, 0)
    assert pitch_error(trained) < 0.1 < pitch_error(untrained)  # within about 10 % of 200 Hz, from farther


def test_training_windows_stay_inside_their_sentence_and_line_up_with_their_targets():
    """Synthesis decodes a sentence with the decoder's own padding at its edges; a training window filled out with zero
    latent past an edge taught the students a click there. Every window of a sentence long enough lies inside it."""
    hop, frames, context = 4, 8, 5
    pairs = []
    for length in (30, 18, 12):  # longer than a window, exactly one, shorter (padded at the end)
        latent = np.stack([np.arange(1, length + 1), np.full(length, length)]).astype(np.float32)  # frame k + 1, length
        waveform = np.repeat(np.arange(1, length + 1, dtype=np.float32), hop)
        pairs.append(DecoderPair(latent, np.zeros(0, np.float32), waveform, None))
    pair_f0 = [pair.latent[0] / 100 for pair in pairs]
    batch = _segments(pairs, np.random.default_rng(0), 400, frames, context, hop, False, pair_f0)
    seen_edges = set()
    for row, f0, target, offset in zip(batch.latent, batch.f0, batch.waveform, batch.offsets):
        start, length = int(target[0, 0]) - 1, int(row[1].max())  # the target's first frame, its sentence's length
        assert torch.equal(row[0, offset : offset + frames], torch.arange(start + 1, start + frames + 1, dtype=torch.float32))
        assert torch.equal(f0[offset : offset + frames], row[0, offset : offset + frames] / 100)
        if length >= frames + 2 * context:
            assert bool((row > 0).all())  # no zero latent: the window is the sentence's own frames
            seen_edges.add((int(row[0, 0]) == 1, int(row[0, -1]) == length))
        else:
            assert offset == start and bool((row[0, length:] == 0).all())
    assert {(True, False), (False, True), (False, False)} <= seen_edges  # windows at the start, at the end, in the middle
    generated = batch.latent[:, :1].repeat_interleave(hop, dim=-1)
    assert torch.equal(batch.centre(generated, frames, hop), batch.waveform)  # the compared part is the target's
