"""``polyvox train --overfit-batch``: train the generator on one fixed batch and check that the mel loss falls.

A working set-up memorises one batch quickly; a broken one (wrong data, features, config) does not.
This tells a broken set-up from a slow one in minutes instead of days.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import torch

from polyvox.config import VoiceConfig

logger = logging.getLogger(__name__)

DEFAULT_OVERFIT_STEPS = 300
# The mel loss at the end must be at most the start divided by this for the check to pass.
EXPECTED_FALL_FACTOR = 2.0
# Start and end losses are means over this many steps (each step trains on a random segment of the batch).
LOSS_WINDOW = 5
# Kept apart from the run folder's own files, so the check never touches a real run.
OVERFIT_FOLDER = "overfit"


@dataclass(frozen=True)
class OverfitResult:
    steps: int
    batch_size: int
    start_mel_loss: float
    end_mel_loss: float

    @property
    def fall_factor(self) -> float:
        if not math.isfinite(self.end_mel_loss) or self.end_mel_loss <= 0:
            return math.inf if self.end_mel_loss == 0 else math.nan
        return self.start_mel_loss / self.end_mel_loss

    @property
    def passed(self) -> bool:
        return math.isfinite(self.start_mel_loss) and self.fall_factor >= EXPECTED_FALL_FACTOR

    def verdict(self) -> str:
        numbers = (
            f"mel loss {self.start_mel_loss:.2f} -> {self.end_mel_loss:.2f} ({self.fall_factor:.1f}x) "
            f"in {self.steps} steps on one batch of {self.batch_size} clips"
        )
        if self.passed:
            return f"set-up works: {numbers}"
        return (
            f"mel loss did not fall by {EXPECTED_FALL_FACTOR:g}x: {numbers}.\n"
            "Check the data (RUN/overfit/data_report.json; do the transcripts match the audio?), the audio config "
            "(sample rate, hop and mel settings against your files) and training.learning_rate; "
            "if the loss fell a little, run more steps (--overfit-batch 1000)."
        )


def _window_mean(values: list[float]) -> float:
    return sum(values) / len(values)


def overfit_batch(
    manifest: str | Path, run_dir: str | Path, config: VoiceConfig, steps: int = DEFAULT_OVERFIT_STEPS, progress: bool = False
) -> OverfitResult:
    """Train the generator (no discriminator) for ``steps`` steps on the first batch of ``manifest``;
    ``progress`` shows the features' bar and a bar over the steps with the mel loss."""
    from tqdm.auto import tqdm

    from polyvox.audio.features import MelSpectrogram
    from polyvox.voice_file import build_generator
    from polyvox.data.dataset import TtsDataset, collate
    from polyvox.models.vits import slice_segments
    from polyvox.train.losses import kl_loss
    from polyvox.train.run import TrainingSetupError, prepare_data

    if steps < 2 * LOSS_WINDOW:
        raise TrainingSetupError(f"--overfit-batch needs at least {2 * LOSS_WINDOW} steps, got {steps}")
    torch.manual_seed(config.training.seed)
    data = prepare_data(manifest, Path(run_dir) / OVERFIT_FOLDER, config, False, None, progress, validation_per_language=0)
    config = data.metadata.config
    training = config.training
    dataset = TtsDataset(data.train_items[: training.batch_size], data.cache)
    batch = collate([dataset[index] for index in range(len(dataset))])
    generator = build_generator(data.metadata)
    generator.train()
    mel = MelSpectrogram(config.audio)
    optimizer = torch.optim.AdamW(generator.parameters(), lr=training.learning_rate, betas=training.adam_betas, eps=training.adam_eps)
    losses: list[float] = []
    bar = tqdm(total=steps, desc="overfit", unit="step", disable=not progress)
    for step in range(steps):
        output = generator(
            batch.phoneme_ids, batch.language_ids, batch.text_lengths, batch.mel, batch.mel_lengths, batch.speaker_ids,
            segment_frames=training.segment_frames, durations=batch.durations, has_durations=batch.has_durations,
            duration_windows=batch.duration_windows,
            prosody_ids=batch.prosody_ids,
        )
        target_mel = slice_segments(batch.mel, output.segment_starts, training.segment_frames)
        loss_mel = torch.nn.functional.l1_loss(mel(output.waveform_segment), target_mel)
        loss_kl = kl_loss(output.flow_latent, output.posterior_log_scales, output.prior_means, output.prior_log_scales, output.frame_mask)
        loss = training.mel_loss_weight * loss_mel + training.kl_loss_weight * loss_kl + training.duration_loss_weight * output.duration_loss
        losses.append(float(loss_mel.detach()))
        if not math.isfinite(losses[-1]):
            logger.warning("overfit step %d: non-finite mel loss; stopping the check", step)
            break
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(generator.parameters(), training.grad_clip_norm)
        optimizer.step()
        bar.set_postfix(mel=f"{losses[-1]:.3f}", refresh=False)
        bar.update()
    bar.close()
    end = _window_mean(losses[-LOSS_WINDOW:]) if math.isfinite(losses[-1]) else math.nan
    return OverfitResult(steps=len(losses), batch_size=len(dataset), start_mel_loss=_window_mean(losses[:LOSS_WINDOW]), end_mel_loss=end)
