"""Validation's ``log_duration_error`` reads the duration predictor with the offset it was trained with: 1 for
polyvox's voices, 0 for the VITS family's (Piper imports). Read with the wrong one, a Piper voice whose predictor
gives every clip's exact length reported an error of 1.38 (a factor of four)."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from polyvox.config import preset
from polyvox.data.dataset import Batch
from polyvox.models.vits import VitsGenerator
from polyvox.train.validation_figures import text_path_figures


class ExactDurations(torch.nn.Module):
    """A duration predictor answering ``frames`` per token, written with ``offset`` as training writes it."""

    def __init__(self, frames: float, offset: float) -> None:
        super().__init__()
        self.log_frames = float(torch.log(torch.tensor(frames + offset)))

    def forward(self, hidden, text_mask, speaker=None):  # noqa: ANN001 - the predictor's signature
        return torch.full_like(text_mask, self.log_frames) * text_mask


@pytest.mark.parametrize("offset", [0.0, 1.0])
def test_a_predictor_giving_each_clips_length_has_no_duration_error(offset):
    config = preset("tiny")
    model = dataclasses.replace(config.model, duration=dataclasses.replace(config.model.duration, log_duration_offset=offset))
    torch.manual_seed(0)
    generator = VitsGenerator(model, 12, 1, config.audio.n_mels, config.audio.hop_length).eval()
    tokens, frames_per_token = 6, 3
    generator.duration_predictor = ExactDurations(frames_per_token, offset)
    frames = tokens * frames_per_token
    batch = Batch(
        phoneme_ids=torch.randint(1, 12, (1, tokens)), language_ids=torch.zeros(1, tokens, dtype=torch.long),
        text_lengths=torch.tensor([tokens]), mel=torch.randn(1, config.audio.n_mels, frames), mel_lengths=torch.tensor([frames]),
        waveform=torch.zeros(1, 1, frames * config.audio.hop_length), speaker_ids=torch.zeros(1, dtype=torch.long),
        durations=torch.full((1, tokens), frames_per_token), has_durations=torch.tensor([True]),
        prosody_ids=torch.zeros(1, tokens, dtype=torch.long),
    )
    assert text_path_figures(generator, torch.nn.Identity(), batch)["log_duration_error"] == pytest.approx(0.0, abs=1e-5)
