"""Text -> train -> speak on a tiny config, through the same entry points a user calls."""

from __future__ import annotations

import bisect

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from polyvox.config import preset
from polyvox.data.manifest import read_manifest
from polyvox.data.sampler import BucketBatchSampler
from polyvox.inference.voice import Voice
from polyvox.train.run import train


def tiny_training(max_steps: int, **overrides):
    return preset("tiny").replace(
        **{
            "training.max_steps": max_steps,
            "training.checkpoint_every_steps": 5,
            "training.audio_samples_every_steps": 1000,
            "training.discriminator_start_step": 2,
            **overrides,
        }
    )


def test_train_then_speak_every_language(small_corpus, tmp_path):
    corpus_dir, _ = small_corpus
    result = train(corpus_dir / "manifest.jsonl", tmp_path / "run", tiny_training(6), progress=False)
    assert result.steps == 6
    assert result.voice_path.is_file()
    assert sorted(path.name for path in (tmp_path / "run" / "checkpoints").glob("*.ckpt")) == ["step-5.ckpt", "step-6.ckpt"]
    voice = Voice.load(result.voice_path)
    assert voice.languages == ("en", "zh")
    assert len(voice.speakers) == 4
    utterances = read_manifest(corpus_dir / "manifest.jsonl")
    for language in ("en", "zh"):
        # A sentence from the corpus: a voice can only say phonemes it was trained on.
        text = next(u.text for u in utterances if u.language == language)
        spoken = voice.synthesize(text + " " + text, language=language, noise_scale=0.0)
        assert spoken.sample_rate == 22050
        assert len(spoken.samples) > 0 and np.isfinite(spoken.samples).all()


def test_manifest_durations_are_used_for_english(small_corpus):
    corpus_dir, report = small_corpus
    utterances = read_manifest(corpus_dir / "manifest.jsonl")
    english = [u for u in utterances if u.language == "en"]
    assert all(u.phoneme_durations is not None for u in english)
    aligned = {language.language: language.aligned for language in report.languages}
    assert aligned["en"] == len(english)


def test_bucket_sampler_resumes_at_the_same_batch():
    durations = [0.5 + 0.1 * (i % 37) for i in range(200)]
    sampler = BucketBatchSampler(durations, 8, (1.0, 2.0, 3.0), seed=7)
    stream = iter(sampler)
    first = [next(stream) for _ in range(40)]
    resumed = BucketBatchSampler(durations, 8, (1.0, 2.0, 3.0), seed=7)
    resumed.load_state_dict({"batches_done": 25})
    assert [next(iter(resumed)) for _ in range(1)][0] == first[25]
    boundaries = (1.0, 2.0, 3.0)
    for batch in first:
        assert len({bisect.bisect(boundaries, durations[i]) for i in batch}) == 1  # one bucket per batch


@pytest.fixture
def one_thread():
    # Several threads sum in a varying order (~1e-10), which training amplifies to ~1e-3 in 20 steps
    # even between two uninterrupted runs; one thread makes every run bit-identical.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.slow
def test_resume_continues_exactly(small_corpus, tmp_path, one_thread):
    """10 steps + resume to 20 gives bit-identical weights to 20 steps straight (both GAN phases)."""
    corpus_dir, _ = small_corpus
    manifest = corpus_dir / "manifest.jsonl"
    deterministic = {"training.discriminator_start_step": 5}
    straight = train(manifest, tmp_path / "straight", tiny_training(20, **deterministic), progress=False)
    train(manifest, tmp_path / "split", tiny_training(10, **deterministic), progress=False)
    resumed = train(manifest, tmp_path / "split", tiny_training(20, **deterministic), resume=True, progress=False)
    assert resumed.steps == 20
    expected = load_file(str(straight.voice_path))
    actual = load_file(str(resumed.voice_path))
    assert expected.keys() == actual.keys()
    for name in expected:
        np.testing.assert_array_equal(actual[name].numpy(), expected[name].numpy(), err_msg=name)


def test_training_can_start_from_a_voice_file(small_corpus, tmp_path):
    corpus_dir, _ = small_corpus
    first = train(corpus_dir / "manifest.jsonl", tmp_path / "first", tiny_training(3), progress=False)
    continued = train(
        corpus_dir / "manifest.jsonl", tmp_path / "second", tiny_training(5), progress=False, init_from=first.voice_path
    )
    assert continued.steps == 5  # counted on from the voice's 3 steps
    assert Voice.load(continued.voice_path).symbols == Voice.load(first.voice_path).symbols


@pytest.mark.parametrize(("loss_fmax", "hears_the_top"), [(None, True), (8000.0, False)])
def test_the_reconstruction_loss_covers_the_whole_band_by_default(loss_fmax, hears_the_top):
    """The model's mel stops at 8 kHz; the loss's mel goes to half the sample rate unless told otherwise,
    so a decoder cannot leave noise above 8 kHz untrained."""
    from polyvox.voice_file import VoiceMetadata
    from polyvox.text import SymbolTable
    from polyvox.train.module import VitsTrainingModule

    config = preset("tiny").replace(**{"training.loss_mel_fmax": loss_fmax})
    metadata = VoiceMetadata(config, SymbolTable.from_sequences([["a", "b"]]), ("en",), ("s",), {})
    module = VitsTrainingModule(metadata)
    times = torch.arange(8192) / config.audio.sample_rate
    top_tone = 0.3 * torch.sin(2 * torch.pi * 10_000 * times)[None]
    # Linear mel magnitude (area-normalised filters): the tone gives ~0.5; a band that stops at 8 kHz sees ~0.01 of leakage.
    assert (module.loss_mel(top_tone).exp().max() > 0.2) == hears_the_top
    assert module.mel(top_tone).exp().max() < 0.05


def test_a_loss_band_beyond_the_sample_rate_is_refused():
    with pytest.raises(ValueError, match="loss_mel_fmax must be above audio.mel_fmin and at most half the sample rate"):
        preset("tiny").replace(**{"training.loss_mel_fmax": 20_000.0})


@pytest.mark.parametrize(
    ("weight", "value", "tag", "steps"),
    [
        ("training.stft_loss_weight", 1.0, "train/loss_stft", 16),  # the multi-resolution STFT loss
        ("training.synthesis_loss_weight", 45.0, "train/loss_synthesis", 12),  # the prior's means, decoded
        ("model.decoder.harmonic_source", True, "train/loss_pitch", 12),  # the harmonic source's head, on the clips' F0
    ],
)
def test_a_weighted_loss_is_logged_and_trained(small_corpus, tmp_path, weight, value, tag, steps):
    """A loss with a weight is logged every step and falls; without one it is neither computed nor logged."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    corpus_dir, _ = small_corpus
    config = tiny_training(steps, **{weight: value, "training.log_every_steps": 1})
    train(corpus_dir / "manifest.jsonl", tmp_path / "run", config, progress=False)
    events = EventAccumulator(str(tmp_path / "run" / "logs"))
    events.Reload()
    values = [event.value for event in events.Scalars(tag)]
    assert len(values) == steps and all(np.isfinite(values))
    # One batch's loss varies by a third between steps: compare the first and last four steps, not single steps.
    assert np.mean(values[-4:]) < np.mean(values[:4])
    unweighted = tmp_path / "unweighted"
    train(corpus_dir / "manifest.jsonl", unweighted, tiny_training(2, **{"training.log_every_steps": 1}), progress=False)
    events = EventAccumulator(str(unweighted / "logs"))
    events.Reload()
    assert tag not in events.Tags()["scalars"]


def test_the_comb_loss_is_logged_every_step(small_corpus, tmp_path):
    """From scratch a decoder first learns a comb (it is not expected to fall in a few steps: test_comb_loss.py shows
    its gradient taking one out); the run logs it, finite, every step."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    corpus_dir, _ = small_corpus
    config = tiny_training(4, **{"training.comb_loss_weight": 10.0, "training.log_every_steps": 1})
    train(corpus_dir / "manifest.jsonl", tmp_path / "run", config, progress=False)
    events = EventAccumulator(str(tmp_path / "run" / "logs"))
    events.Reload()
    values = [event.value for event in events.Scalars("train/loss_comb")]
    assert len(values) == 4 and all(np.isfinite(values)) and max(values) > 0


def test_a_checkpoint_of_the_run_becomes_the_voice_of_its_step(small_corpus, tmp_path):
    from typer.testing import CliRunner

    from polyvox.cli import app
    from polyvox.voice_file import load_voice_file

    corpus_dir, _ = small_corpus
    result = train(corpus_dir / "manifest.jsonl", tmp_path / "run", tiny_training(6), progress=False)
    checkpoints = tmp_path / "run" / "checkpoints"
    runner = CliRunner()
    for step in (5, 6):
        output = tmp_path / f"step{step}.safetensors"
        answer = runner.invoke(app, ["import-voice", str(checkpoints / f"step-{step}.ckpt"), "-o", str(output)])
        assert answer.exit_code == 0, answer.output
        assert f"the voice of step {step} of a polyvox run" in answer.output
    final, final_metadata = load_voice_file(result.voice_path)  # the run writes the newest step's voice itself
    imported, metadata = load_voice_file(tmp_path / "step6.safetensors")
    assert imported.keys() == final.keys() and all(torch.equal(imported[name], final[name]) for name in final)
    assert metadata.info["steps"] == "6" and metadata.speakers == final_metadata.speakers
    earlier, _ = load_voice_file(tmp_path / "step5.safetensors")
    assert any(not torch.equal(earlier[name], final[name]) for name in final)
    assert np.isfinite(Voice.load(tmp_path / "step5.safetensors").synthesize("a", language="en").samples).all()
    # An existing file is kept unless asked.
    answer = runner.invoke(app, ["import-voice", str(checkpoints / "step-5.ckpt"), "-o", str(tmp_path / "step6.safetensors")])
    assert answer.exit_code == 1 and "--overwrite" in answer.output
    assert all(torch.equal(load_voice_file(tmp_path / "step6.safetensors")[0][name], final[name]) for name in final)


@pytest.mark.parametrize(
    ("content", "named"),
    [(b"hello\n", "is a text file: polyvox import-voice takes"), (b"\x80\x04K\x01.", "is not a readable PyTorch checkpoint")],
)
def test_a_ckpt_that_is_no_checkpoint_is_named_in_one_line(tmp_path, content, named):
    from typer.testing import CliRunner

    from polyvox.cli import app

    checkpoint, output = tmp_path / "step-1.ckpt", tmp_path / "voice.safetensors"
    checkpoint.write_bytes(content)
    answer = CliRunner().invoke(app, ["import-voice", str(checkpoint), "-o", str(output)])
    assert answer.exit_code == 1 and answer.output.count("\n") == 1, answer.output
    assert answer.output.startswith("error: ") and named in answer.output
    assert not output.exists()
