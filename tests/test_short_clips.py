"""Short clips: every module takes 1 frame and 1 phoneme; training pads or drops clips of 0.05-0.3 s and says so."""

from __future__ import annotations

import dataclasses
import json
import logging

import numpy as np
import pytest
import torch

from polyvox.audio.features import MelSpectrogram
from polyvox.audio.io import load_audio, save_audio
from polyvox.config import preset
from polyvox.data.corpus import generate_corpus
from polyvox.data.manifest import read_manifest, write_manifest
from polyvox.doctor import diagnose, format_report
from polyvox.models.discriminators import MultiPeriodMultiScaleDiscriminator
from polyvox.models.minimum_length import ConvStep, minimum_frames, minimum_input, minimum_input_length
from polyvox.models.vits import VitsGenerator
from polyvox.train.run import train

N_SYMBOLS = 12


def _finite(*tensors: torch.Tensor) -> bool:
    return all(bool(torch.isfinite(t).all()) for t in tensors)


def test_minimum_length_from_kernels_and_strides():
    assert minimum_input_length([ConvStep(5, total_padding=4)]) == 1
    assert minimum_input_length([ConvStep(5)]) == 5  # unpadded: needs the whole kernel
    assert minimum_input_length([ConvStep(3), ConvStep(3, stride=2)]) == 5
    assert minimum_input_length([ConvStep(3, dilation=4)]) == 9
    for name in ("tiny", "small", "medium"):
        # polyvox's modules pad (or are padded) so that one frame is always enough.
        assert minimum_frames(preset(name)) == 1
    assert minimum_input(preset("tiny")).describe() == "model minimum input: 1 frames = 0.012 s (every component accepts it)"


@pytest.mark.parametrize("decoder", ["hifigan", "istft"])
def test_every_module_takes_one_frame_and_one_phoneme(decoder):
    config = preset("tiny")
    if decoder == "istft":
        config = config.replace(
            **{"model.decoder.type": "istft", "model.decoder.upsample_rates": [8, 8], "model.decoder.upsample_kernel_sizes": [16, 16]}
        )
    hop = config.audio.hop_length
    torch.manual_seed(0)
    generator = VitsGenerator(config.model, N_SYMBOLS, 1, config.audio.n_mels, hop)
    ids, languages, one = torch.tensor([[5]]), torch.tensor([[0]]), torch.tensor([1])
    speaker_ids = torch.tensor([0])
    speaker = generator.speaker_vector(speaker_ids)
    text = generator.text_encoder(ids, languages, one)
    assert text.hidden.shape[-1] == 1 and _finite(text.hidden, text.prior_means, text.prior_log_scales)
    assert _finite(generator.duration_predictor(text.hidden, text.text_mask, speaker))
    frames_per_token = torch.ones(1, 1, 1)
    assert _finite(generator.stochastic_duration_predictor(text.hidden, text.text_mask, frames_per_token, speaker))
    assert _finite(generator.stochastic_duration_predictor.infer(text.hidden, text.text_mask, speaker))
    mask = torch.ones(1, 1, 1)
    mel = torch.randn(1, config.audio.n_mels, 1)
    posterior = generator.posterior_encoder(mel, mask, speaker)
    assert posterior.latent.shape[-1] == 1 and _finite(posterior.latent, posterior.log_scales)
    forward = generator.flow(posterior.latent, mask, speaker)
    assert _finite(forward, generator.flow(forward, mask, speaker, reverse=True))
    waveform = generator.decoder(posterior.latent, speaker)
    assert waveform.shape == (1, 1, hop) and _finite(waveform)
    assert MelSpectrogram(config.audio)(waveform).shape == (1, config.audio.n_mels, 1)
    discriminator = MultiPeriodMultiScaleDiscriminator(config.model.discriminator)
    for samples in (1, hop):
        real = torch.randn(1, 1, samples)
        scores = discriminator(real, real.clone())
        assert _finite(*scores.real_scores, *[f for features in scores.fake_features for f in features])
    # The whole generator: training pass (alignment search) and synthesis.
    output = generator(ids, languages, one, mel, one, speaker_ids, segment_frames=config.training.segment_frames)
    assert _finite(output.waveform_segment, output.flow_latent) and output.path.sum() == 1
    synthesis = generator.synthesize(ids, languages, one, speaker_ids, noise_scale=0.0)
    assert _finite(synthesis.waveform)


@pytest.fixture(scope="module")
def short_manifest(tmp_path_factory, engine):
    """Six English clips cut to 0.05-0.3 s (their durations no longer apply), plus the six full ones."""
    out = tmp_path_factory.mktemp("short_corpus")
    generate_corpus(out, ["en"], 1, 6, sample_rate=22050, seed=5, progress=False, engine=engine)
    full = read_manifest(out / "manifest.jsonl")
    lengths_s = np.linspace(0.05, 0.3, len(full))
    short = []
    for index, (utterance, length_s) in enumerate(zip(full, lengths_s)):
        samples = load_audio(utterance.audio, 22050)[: int(length_s * 22050)]
        path = out / f"short_{index}.wav"
        save_audio(path, samples, 22050)
        short.append(dataclasses.replace(utterance, audio=str(path), duration=len(samples) / 22050))
    manifest = out / "short.jsonl"
    write_manifest(manifest, [*full, *short])
    return manifest


@pytest.mark.parametrize("policy", ["pad", "drop"])
def test_training_on_short_clips(short_manifest, tmp_path, caplog, policy):
    config = preset("tiny").replace(
        **{
            "training.max_steps": 3,
            "training.discriminator_start_step": 1,
            "training.short_clip_policy": policy,
            "training.audio_samples_every_steps": 1000,
        }
    )
    with caplog.at_level(logging.INFO, logger="polyvox.train.run"):
        result = train(short_manifest, tmp_path / "run", config, progress=False, validation_per_language=0)
    assert result.steps == 3
    assert "model minimum input: 1 frames" in caplog.text
    verb = "padded with silence" if policy == "pad" else "dropped"
    line = next(record.getMessage() for record in caplog.records if verb in record.getMessage())
    assert line.startswith("training: 6 short clip(s)")
    assert "short_0.wav (4 < " in line and "and 1 more" in line
    data_report = json.loads((tmp_path / "run" / "data_report.json").read_text())
    listed = data_report["short_clips"]
    assert len(listed) == 6 and {clip["action"] for clip in listed} == {"padded" if policy == "pad" else "dropped"}
    assert all(clip["frames"] < clip["required_frames"] for clip in listed)
    report = diagnose(result.checkpoint)
    assert report.passed, format_report(report)


class _FakeCache:
    def load(self, utterance):
        return torch.ones(2 * 256), torch.zeros(80, 2)


def test_policy_pads_with_silence_or_drops():
    from polyvox.audio.features import LOG_FLOOR
    from polyvox.data.dataset import EncodedUtterance, TtsDataset
    from polyvox.data.manifest import Utterance
    from polyvox.data.short_clips import apply_short_clip_policy

    utterance = Utterance(audio="/x/a.wav", text="a", speaker="s", language="en", duration=0.02)
    # Blanks (0) around 4 non-blank ids; known durations only need the model minimum.
    aligned = EncodedUtterance(utterance, (0, 1, 0, 7, 0, 8, 0, 2, 0), (0,) * 9, 0, None, frames=2)
    timed = dataclasses.replace(aligned, durations=(0, 0, 0, 1, 0, 1, 0, 0, 0))
    kept, report = apply_short_clip_policy([aligned, timed], 1, "pad")
    assert [c.required_frames for c in report.clips] == [4] and kept[0].padded_frames == 4 and kept[1] == timed
    waveform, mel = TtsDataset(kept, _FakeCache())[0][1:]
    assert mel.shape == (80, 4) and waveform.shape == (4 * 256,)
    assert float(waveform[-1]) == 0.0 and float(mel[0, -1]) == pytest.approx(np.log(LOG_FLOOR))
    kept, report = apply_short_clip_policy([aligned, timed], 3, "drop")
    assert kept == [] and len(report.clips) == 2 and "a.wav (2 < 4 frames)" in report.describe()
