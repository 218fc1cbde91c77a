"""The synthesis loss trains what reads the text by what the flow and the decoder make of it."""

from __future__ import annotations

import pytest
import torch

from polyvox.audio.features import MelSpectrogram
from polyvox.config import ConfigError, TrainingConfig, preset
from polyvox.models.vits import VitsGenerator
from polyvox.train.synthesis_loss import prior_waveform_segment

SEGMENT = 8


def _tiny_batch(config):
    torch.manual_seed(0)
    generator = VitsGenerator(config.model, 12, 1, config.audio.n_mels, config.audio.hop_length)
    phonemes = torch.tensor([[1, 2, 3, 4, 5, 6], [3, 4, 5, 6, 7, 0]])
    text_lengths = torch.tensor([6, 5])
    durations = torch.tensor([[3, 4, 2, 5, 3, 3], [4, 4, 4, 4, 4, 0]])
    mel_lengths = durations.sum(dim=1)
    mel = torch.randn(2, config.audio.n_mels, int(mel_lengths.max()))
    return generator, dict(
        phoneme_ids=phonemes, language_ids=torch.zeros_like(phonemes), text_lengths=text_lengths, mel=mel,
        mel_lengths=mel_lengths, speaker_ids=torch.zeros(2, dtype=torch.long), segment_frames=SEGMENT,
        durations=durations, has_durations=torch.tensor([True, True]),
    )


def _synthesis_loss(generator, inputs, mel, target):
    output = generator(**inputs)
    spoken = prior_waveform_segment(generator, output, SEGMENT)
    return torch.nn.functional.l1_loss(mel(spoken), target[..., : mel(spoken).shape[-1]])


def test_only_the_synthesis_loss_teaches_the_text_encoder_to_sound_like_the_target():
    config = preset("tiny", ("en",))
    generator, inputs = _tiny_batch(config)
    mel = MelSpectrogram(config.audio)
    target = torch.zeros(2, config.audio.n_mels, SEGMENT)  # near-silence as every segment's target
    for name, parameter in generator.named_parameters():
        parameter.requires_grad_(name.startswith("text_encoder"))  # the freeze preset "text", roughly
    optimizer = torch.optim.Adam([p for p in generator.parameters() if p.requires_grad], lr=1e-2)
    torch.manual_seed(1)
    before = _synthesis_loss(generator, inputs, mel, target).item()
    for _ in range(15):
        optimizer.zero_grad()
        loss = _synthesis_loss(generator, inputs, mel, target)
        loss.backward()
        optimizer.step()
    torch.manual_seed(1)
    after = _synthesis_loss(generator, inputs, mel, target).item()
    assert after < 0.97 * before  # the gradient reached the text encoder through the frozen flow and decoder
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for n, p in generator.named_parameters() if n.startswith("text_encoder.symbol_embedding"))


def test_the_synthesis_loss_is_off_by_default_and_refuses_a_negative_weight():
    assert TrainingConfig().synthesis_loss_weight == 0.0
    with pytest.raises(ConfigError, match="synthesis_loss_weight"):
        TrainingConfig(synthesis_loss_weight=-1.0)

