"""bfloat16 mixed-precision training: a run trains and speaks, and the float32 islands stay float32."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from polyvox.audio.features import MelSpectrogram
from polyvox.config import ConfigError, preset
from polyvox.data.manifest import read_manifest
from polyvox.inference.voice import Voice
from polyvox.models.decoders.istft import InverseStft
from polyvox.models.decoders.pqmf import PseudoQmf
from polyvox.models.vits import VitsGenerator, prior_log_likelihood
from polyvox.models.full_precision import float32_region
from polyvox.train.run import train


def test_a_mixed_precision_run_trains_and_speaks(small_corpus, tmp_path):
    corpus_dir, _ = small_corpus
    config = preset("tiny").replace(
        **{
            "training.precision": "bf16-mixed",
            "training.max_steps": 6,
            "training.checkpoint_every_steps": 6,
            "training.audio_samples_every_steps": 1000,
            "training.discriminator_start_step": 2,
        }
    )
    result = train(corpus_dir / "manifest.jsonl", tmp_path / "run", config, progress=False)
    assert result.steps == 6
    checkpoint = torch.load(result.checkpoint, map_location="cpu", weights_only=False)
    # Every step made its updates: no loss or gradient was non-finite in bfloat16.
    assert checkpoint["polyvox"]["skipped_generator_steps"] == 0
    assert checkpoint["polyvox"]["skipped_discriminator_steps"] == 0
    weights = load_file(str(result.voice_path))
    assert all(tensor.dtype == torch.float32 for tensor in weights.values())
    voice = Voice.load(result.voice_path)
    text = next(u.text for u in read_manifest(corpus_dir / "manifest.jsonl") if u.language == "en")
    spoken = voice.synthesize(text, language="en", noise_scale=0.0)
    assert len(spoken.samples) > 0 and np.isfinite(spoken.samples).all()


def test_emulated_bfloat16_is_named_before_training(small_corpus, tmp_path, monkeypatch, caplog):
    """Without native bfloat16 the run would silently be slower than float32: the log says so first."""
    import polyvox.inference.speed as speed

    monkeypatch.setattr(speed, "native_bfloat16", lambda: False)
    corpus_dir, _ = small_corpus
    config = preset("tiny").replace(**{"training.precision": "bf16-mixed", "training.max_steps": 1, "training.audio_samples_every_steps": 1000})
    with caplog.at_level("WARNING"):
        train(corpus_dir / "manifest.jsonl", tmp_path / "run", config, progress=False)
    assert "no native bfloat16 instructions" in caplog.text and "training.precision=32" in caplog.text


def test_auto_precision_is_bf16_mixed_only_on_a_bfloat16_cpu(small_corpus, tmp_path, monkeypatch, caplog):
    """The default trains in bf16-mixed where the CPU has native bfloat16, float32 elsewhere, and the log says which."""
    import polyvox.inference.speed as speed
    from polyvox.train.trainer_setup import training_precision

    corpus_dir, _ = small_corpus
    config = preset("tiny").replace(**{"training.max_steps": 1, "training.audio_samples_every_steps": 1000})
    assert config.training.precision == "auto"
    for native, expected in ((True, "bf16-mixed"), (False, "32")):
        monkeypatch.setattr(speed, "native_bfloat16", lambda native=native: native)
        assert training_precision("auto", on_cpu=True) == expected
        caplog.clear()
        with caplog.at_level("INFO"):
            train(corpus_dir / "manifest.jsonl", tmp_path / f"run-{expected}", config, progress=False)
        assert f"training.precision auto: {expected} " in caplog.text
    assert training_precision("auto", on_cpu=False) == "32"  # GPUs: float32 unless asked
    assert training_precision("32", on_cpu=True) == "32"


def test_the_alignment_likelihood_is_exact_under_autocast():
    """A float32 sum over channels; under autocast its matrix products would be bfloat16 and the path could change."""
    generator = torch.Generator().manual_seed(0)
    latent = torch.randn(2, 96, 40, generator=generator)
    means, log_scales = torch.randn(2, 96, 12, generator=generator), 0.3 * torch.randn(2, 96, 12, generator=generator)
    exact = prior_log_likelihood(latent, means, log_scales)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        rounded = prior_log_likelihood(latent, means, log_scales)
        with float32_region(latent):
            kept = prior_log_likelihood(latent, means, log_scales)
    assert not torch.allclose(rounded.float(), exact, atol=1e-2)
    assert kept.dtype == torch.float32 and torch.equal(kept, exact)


def test_fixed_transforms_stay_float32_under_autocast():
    waveform = torch.randn(2, 1, 4096, generator=torch.Generator().manual_seed(0))
    mel = MelSpectrogram(preset("tiny").audio)
    inverse = InverseStft(16, 4)
    magnitude, phase = torch.rand(2, 9, 30), torch.rand(2, 9, 30)
    bank = PseudoQmf(4)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        outputs = [mel(waveform), inverse(magnitude, phase), bank.synthesis(bank.analysis(waveform))]
    assert torch.equal(outputs[0], mel(waveform))
    assert torch.equal(outputs[1], inverse(magnitude, phase))
    assert all(output.dtype == torch.float32 for output in outputs)


def test_the_generator_returns_float32_loss_inputs_under_autocast():
    config = preset("tiny", ("en",), n_speakers=2)
    torch.manual_seed(0)
    generator = VitsGenerator(config.model, 20, 1, config.audio.n_mels, config.audio.hop_length)
    phonemes = torch.randint(1, 20, (2, 7))
    with torch.autocast("cpu", dtype=torch.bfloat16):
        output = generator(
            phonemes, torch.zeros_like(phonemes), torch.tensor([7, 5]), torch.randn(2, config.audio.n_mels, 30),
            torch.tensor([30, 22]), torch.tensor([0, 1]), segment_frames=8,
        )
    for name in ("flow_latent", "posterior_log_scales", "prior_means", "prior_log_scales", "duration_loss", "waveform_segment"):
        assert getattr(output, name).dtype == torch.float32, name


def test_unknown_training_precision_is_refused():
    with pytest.raises(ConfigError, match="training.precision must be one of 'auto', '32', 'bf16-mixed', got '16-mixed'"):
        preset("tiny").replace(**{"training.precision": "16-mixed"})
