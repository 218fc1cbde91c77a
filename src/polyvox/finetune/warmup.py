"""The warm-up run: a voice's untrained parts (``warmup_plan``) trained alone against the frozen rest of the
generator (``warmup_objective``), before the usual fine-tune. Measured by copy synthesis through the posterior
(``train/reconstruction.py``) before and after; the curve and figures go to RUN/warmup.json."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from polyvox.files import atomic_path
from polyvox.finetune.errors import FinetuneSetupError
from polyvox.finetune.warmup_objective import warmup_losses
from polyvox.finetune.warmup_plan import WarmupPlan, in_parts
from polyvox.train.reconstruction import posterior_reconstruction_loss

if TYPE_CHECKING:
    from polyvox.data.dataset import Batch, EncodedUtterance
    from polyvox.data.features_cache import FeatureCache
    from polyvox.train.module import VitsTrainingModule

logger = logging.getLogger(__name__)

WARMUP_FILE = "warmup.json"
# Clips whose copy synthesis measures the warm-up (held-out ones when there are any).
PROBE_CLIPS = 8
# Points of the loss curve kept (in RUN/warmup.json) and lines logged while it runs.
CURVE_POINTS, LOG_LINES = 50, 5


@dataclass
class WarmupResult:
    steps: int
    seconds: float
    skipped_steps: int
    # Copy synthesis of the probe clips: mean absolute log-mel difference through the frozen decoder.
    reconstruction_before: float
    reconstruction_after: float
    curve: list[tuple[int, float, float, float]] = field(default_factory=list)  # (step, mel loss, KL, duration loss)

    def summary(self) -> str:
        return (
            f"warm-up done: {self.steps} steps in {self.seconds:.0f} s ({self.seconds / max(self.steps, 1):.2f} s/step); "
            f"posterior copy synthesis through the frozen decoder: mel distance {self.reconstruction_before:.3f} -> "
            f"{self.reconstruction_after:.3f}"
        )


def probe_batch(items: Sequence[EncodedUtterance], cache: FeatureCache) -> Batch:
    from polyvox.data.dataset import TtsDataset, collate

    dataset = TtsDataset(list(items[:PROBE_CLIPS]), cache)
    return collate([dataset[index] for index in range(len(dataset))])


@torch.no_grad()
def copy_synthesis_distance(module: VitsTrainingModule, batch: Batch) -> float:
    """Mel distance of the clips of ``batch`` decoded from their posterior mean (the generator is left in eval mode)."""
    module.generator.eval()
    device = next(module.generator.parameters()).device
    return float(posterior_reconstruction_loss(module.generator, module.mel, batch.to(device)))


def _select_trainable(module: VitsTrainingModule, parts: Sequence[str]) -> list[torch.nn.Parameter]:
    chosen = []
    for name, parameter in module.generator.named_parameters():
        parameter.requires_grad_(in_parts(name, parts))
        if parameter.requires_grad:
            chosen.append(parameter)
    if not chosen:
        raise FinetuneSetupError(f"the voice's info names untrained parts ({', '.join(parts)}) that it does not have; import it again")
    return chosen


def _train_mode(module: VitsTrainingModule, parts: Sequence[str]) -> None:
    """Dropout in the untrained parts only: the frozen ones give the prior as synthesis does."""
    module.generator.eval()
    for part in parts:
        module.generator.get_submodule(part).train()


def run_warmup(
    module: VitsTrainingModule,
    plan: WarmupPlan,
    train_items: Sequence[EncodedUtterance],
    probe_items: Sequence[EncodedUtterance],
    cache: FeatureCache,
    run_dir: Path,
    progress: bool = True,
    device: str = "cpu",
) -> WarmupResult:
    """Train ``plan.parts`` of ``module.generator`` for ``plan.steps``, everything else frozen (bit for bit);
    ``requires_grad`` is as before afterwards and the module back on the CPU. Writes RUN/warmup.json."""
    from torch.utils.data import DataLoader
    from tqdm.auto import tqdm

    from polyvox.data.dataset import TtsDataset, collate
    from polyvox.data.sampler import build_batch_sampler

    training = module.config.training
    flags = {name: parameter.requires_grad for name, parameter in module.generator.named_parameters()}
    module.to(device)
    parameters = _select_trainable(module, plan.parts)
    optimizer = torch.optim.AdamW(parameters, lr=plan.learning_rate, betas=training.adam_betas, eps=training.adam_eps)
    dataset = TtsDataset(list(train_items), cache)
    sampler = build_batch_sampler(training, dataset.durations_s(), [item.utterance.language for item in train_items])
    batches = iter(DataLoader(dataset, batch_sampler=sampler, collate_fn=collate))
    probe = probe_batch(probe_items or train_items, cache)
    before = copy_synthesis_distance(module, probe)
    logger.info("warm-up of %s: %d steps; posterior copy-synthesis mel distance %.3f at the start", ", ".join(plan.parts), plan.steps, before)
    curve: list[tuple[int, float, float, float]] = []
    skipped, started = 0, time.perf_counter()
    with tqdm(total=plan.steps, desc="warm-up", unit="step", disable=not progress) as bar:
        for step in range(1, plan.steps + 1):
            _train_mode(module, plan.parts)
            losses = warmup_losses(module, next(batches).to(device))
            optimizer.zero_grad(set_to_none=True)
            finite = bool(torch.isfinite(losses.total))
            if finite:
                losses.total.backward()
                finite = bool(torch.isfinite(torch.nn.utils.clip_grad_norm_(parameters, training.grad_clip_norm)))
            if finite:
                optimizer.step()
            skipped += not finite
            point = (step, float(losses.mel.detach()), float(losses.kl.detach()), float(losses.duration.detach()))
            bar.update(1)
            bar.set_postfix(mel=f"{point[1]:.3f}")
            if step % max(1, plan.steps // CURVE_POINTS) == 0 or step == plan.steps:
                curve.append(point)
            if step % max(1, plan.steps // LOG_LINES) == 0:
                logger.info("warm-up step %d/%d: mel loss %.3f, KL %.3f, duration loss %.3f", step, plan.steps, *point[1:])
    result = WarmupResult(plan.steps, time.perf_counter() - started, skipped, before, copy_synthesis_distance(module, probe), curve)
    for name, parameter in module.generator.named_parameters():
        parameter.requires_grad_(flags[name])
    module.generator.train()
    module.to("cpu")
    if skipped:
        logger.warning("warm-up: %d of %d steps had a non-finite loss or gradient and were skipped", skipped, plan.steps)
    logger.info("%s", result.summary())
    data = {"plan": asdict(plan), **asdict(result), "seconds_per_step": result.seconds / max(result.steps, 1)}
    with atomic_path(run_dir / WARMUP_FILE) as temporary:
        temporary.write_text(json.dumps(data, indent=1), encoding="utf-8")
    return result
