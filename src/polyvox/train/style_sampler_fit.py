"""The style sampler fitted on the finished voice (``training.style_sampler_fit_steps``).

During training the sampler learns one batch a step from a text encoder that moves under it, and a fine-tune's few
hundred steps leave it unfitted: questions were drawn like statements until the same sampler was trained alone on
the finished voice's conditions (benchmarks/style_fit.py, part d). So when a run ends, the output voice's sampler is
trained alone on what that voice gives for every training clip: its condition (text states and speaker) and the
style training used for it (its label's row, or its encoded mel). Nothing else moves; it takes seconds on a CPU.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

from polyvox.config import TrainingConfig
from polyvox.data.dataset import EncodedUtterance, TtsDataset, collate
from polyvox.data.features_cache import FeatureCache
from polyvox.models.vits import sequence_mask
from polyvox.models.style_sampler import StyleSampler
from polyvox.voice_file import build_generator, load_voice_file, save_voice

logger = logging.getLogger(__name__)

# The voice file's info key that records a fit, so a finished run that is resumed does not fit its sampler twice.
FIT_INFO_KEY = "style_sampler_fit_steps"
BATCH_SIZE = 16
# Steps averaged for the first and last loss in the log line.
LOSS_WINDOW = 100
# A large corpus is fitted on this many of its clips, drawn with the run's seed: enough pairs for a small network,
# and the encoding of each stays a matter of minutes on a CPU.
MAX_FIT_CLIPS = 4096


@dataclass(frozen=True)
class SamplerFit:
    steps: int
    clips: int
    first_loss: float  # mean flow-matching loss of the first steps
    last_loss: float  # ... and of the last


@torch.no_grad()
def sampler_examples(generator: torch.nn.Module, items: list[EncodedUtterance], cache: FeatureCache) -> tuple[Tensor, Tensor]:
    """What training fed the sampler, under the finished ``generator``: each clip's condition (clips,
    condition_channels) and style (clips, style_channels)."""
    loader = torch.utils.data.DataLoader(TtsDataset(items, cache), batch_size=BATCH_SIZE, collate_fn=collate)
    conditions, styles = [], []
    for batch in loader:
        speaker = generator.speaker_vector(batch.speaker_ids)
        frame_mask = sequence_mask(batch.mel_lengths, batch.mel.shape[-1]).unsqueeze(1).to(batch.mel.dtype)
        styles.append(generator.style_encoder.training_style(batch.mel, frame_mask, batch.style_ids).vectors.float())
        conditions.append(generator.style_condition(
            batch.phoneme_ids, batch.language_ids, batch.text_lengths, speaker, batch.prosody_ids, batch.text_features,
        ))
    return torch.cat(conditions), torch.cat(styles)


def fit_style_sampler(sampler: StyleSampler, conditions: Tensor, styles: Tensor, steps: int, learning_rate: float, seed: int) -> list[float]:
    """Train ``sampler`` in place on (condition, style) pairs, nothing else; the loss of each step. A standardizing
    sampler's statistics are set to these conditions' own first (training tracked them while the text encoder moved)."""
    if sampler.standardized:
        sampler.condition_mean.copy_(conditions.mean(dim=0))
        sampler.condition_square_mean.copy_(conditions.pow(2).mean(dim=0))
    sampler.eval()  # no more tracking: the statistics stay those just set
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(sampler.parameters(), lr=learning_rate)
    losses = []
    fork = torch.random.fork_rng()  # the loss draws its noise from the global generator: seed it, and restore it after
    with fork, torch.enable_grad():
        torch.manual_seed(seed)
        for _ in range(steps):
            chosen = torch.randint(0, len(styles), (BATCH_SIZE,), generator=generator)
            loss = sampler.loss(styles[chosen], conditions[chosen])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(float(loss.detach()))
    return losses


def fit_voice_file_sampler(path: Path, items: list[EncodedUtterance], cache: FeatureCache, training: TrainingConfig, half: bool) -> SamplerFit | None:
    """Fit the sampler of the voice at ``path`` (a run's own output) on the run's training ``items`` and rewrite the
    file. None, with nothing written, when the voice has no sampler, fitting is off, or the file is fitted already."""
    steps = training.style_sampler_fit_steps
    if steps == 0 or not items or not path.is_file():
        return None
    tensors, metadata = load_voice_file(path)
    if not metadata.config.model.style_sampler.enabled or FIT_INFO_KEY in metadata.info:
        return None
    generator = build_generator(metadata)
    generator.load_state_dict({name: tensor.float() if tensor.is_floating_point() else tensor for name, tensor in tensors.items()}, strict=True)
    generator.eval()
    if len(items) > MAX_FIT_CLIPS:
        chosen = torch.randperm(len(items), generator=torch.Generator().manual_seed(training.seed))[:MAX_FIT_CLIPS]
        items = [items[index] for index in sorted(chosen.tolist())]
    logger.info("fitting the style sampler on the finished voice: %d steps on %d clips", steps, len(items))
    conditions, styles = sampler_examples(generator, items, cache)
    losses = fit_style_sampler(generator.style_sampler, conditions, styles, steps, training.style_sampler_fit_learning_rate, training.seed)
    window = max(1, min(LOSS_WINDOW, steps // 2))
    fit = SamplerFit(steps, len(styles), sum(losses[:window]) / window, sum(losses[-window:]) / window)
    info = dict(metadata.info, **{FIT_INFO_KEY: str(steps)})
    save_voice(path, generator.state_dict(), dataclasses.replace(metadata, info=info), half=half)
    logger.info("style sampler fitted: loss %.3f -> %.3f (first and last %d steps); rewrote %s", fit.first_loss, fit.last_loss, window, path)
    return fit
