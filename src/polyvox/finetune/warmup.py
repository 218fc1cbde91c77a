"""The warm-up run: a voice's untrained parts (``warmup_plan``) trained alone against the frozen rest of the
generator, before the usual fine-tune. A new posterior encoder first learns to read back the voice's own latents
(``own_speech``); the other parts then train on the data's losses (``warmup_objective``). Measured by copy
synthesis through the posterior (``train/reconstruction.py``) and by the posterior's agreement with the voice on
its own speech, before and after; the curve and figures go to RUN/warmup.json."""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from polyvox.files import atomic_path
from polyvox.finetune.errors import FinetuneSetupError
from polyvox.finetune.own_speech import Agreement, OwnClip, agreement, regress_posterior, speak_own
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
# Own-speech sentences held out to measure the posterior's agreement with the voice (not regressed on).
OWN_SPEECH_HELD_OUT = 24
POSTERIOR = "posterior_encoder"


@dataclass
class WarmupResult:
    steps: int
    seconds: float
    skipped_steps: int
    # Copy synthesis of the probe clips: mean absolute log-mel difference through the frozen decoder.
    reconstruction_before: float
    reconstruction_after: float
    curve: list[tuple[int, float, float, float]] = field(default_factory=list)  # (step, mel loss, KL, duration loss)
    # The posterior's agreement with the voice on its own held-out speech, before and after the whole warm-up.
    agreement_before: Agreement | None = None
    agreement_after: Agreement | None = None
    own_speech_seconds: float = 0.0  # of ``seconds``: speaking and the posterior's regression

    @property
    def seconds_per_step(self) -> float:
        """Of the data's stage alone (the own-speech stage has steps of its own)."""
        return (self.seconds - self.own_speech_seconds) / max(self.steps, 1)

    def summary(self) -> str:
        agreed = (
            f"; on the voice's own speech: {self.agreement_before.describe()} -> {self.agreement_after.describe()}"
            if self.agreement_before is not None and self.agreement_after is not None else ""
        )
        return (
            f"warm-up done in {self.seconds:.0f} s ({self.steps} steps on the data at {self.seconds_per_step:.2f} s/step); "
            f"posterior copy synthesis through the frozen decoder: mel distance {self.reconstruction_before:.3f} -> "
            f"{self.reconstruction_after:.3f}{agreed}"
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


def _speak_own(
    module: VitsTrainingModule, items: Sequence[EncodedUtterance], plan: WarmupPlan, speakers: Sequence[int], progress: bool
) -> list[OwnClip]:
    from tqdm.auto import tqdm

    chosen = random.Random(0).sample(list(items), min(plan.own_speech_clips, len(items)))
    logger.info("warm-up: the voice speaks %d sentences of the data, whose latents its posterior encoder learns", len(chosen))
    return speak_own(module.generator, module.mel, tqdm(chosen, desc="own speech", unit="clip", disable=not progress), speakers)


def _regress_posterior(module: VitsTrainingModule, clips: Sequence[OwnClip], plan: WarmupPlan, progress: bool) -> None:
    from tqdm.auto import tqdm

    with tqdm(total=plan.own_speech_steps, desc="posterior on own speech", unit="step", disable=not progress) as bar:
        def shown(step: int, loss: float) -> None:
            bar.update(1)
            bar.set_postfix(nll=f"{loss:.3f}")

        regress_posterior(module.generator, clips, plan.own_speech_steps, plan.learning_rate, on_step=shown)


def _train_on_data(
    module: VitsTrainingModule, parts: tuple[str, ...], plan: WarmupPlan, train_items: Sequence[EncodedUtterance],
    cache: FeatureCache, device: str, progress: bool, before: float,
) -> tuple[list[tuple[int, float, float, float]], int]:
    """``parts`` trained for ``plan.steps`` on the data's losses; the loss curve and the number of skipped steps."""
    from torch.utils.data import DataLoader
    from tqdm.auto import tqdm

    from polyvox.data.dataset import TtsDataset, collate
    from polyvox.data.sampler import build_batch_sampler

    training = module.config.training
    parameters = _select_trainable(module, parts)
    optimizer = torch.optim.AdamW(parameters, lr=plan.learning_rate, betas=training.adam_betas, eps=training.adam_eps)
    dataset = TtsDataset(list(train_items), cache)
    sampler = build_batch_sampler(training, dataset.durations_s(), [item.utterance.language for item in train_items])
    batches = iter(DataLoader(dataset, batch_sampler=sampler, collate_fn=collate))
    logger.info("warm-up of %s: %d steps; posterior copy-synthesis mel distance %.3f at the start", ", ".join(parts), plan.steps, before)
    curve: list[tuple[int, float, float, float]] = []
    skipped = 0
    with tqdm(total=plan.steps, desc="warm-up", unit="step", disable=not progress) as bar:
        for step in range(1, plan.steps + 1):
            _train_mode(module, parts)
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
    return curve, skipped


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
    source_speakers: Sequence[int] = (0,),
) -> WarmupResult:
    """Train ``plan.parts`` of ``module.generator``, everything else frozen (bit for bit): with ``plan.own_speech``
    the posterior encoder on the voice's own speech (its ``source_speakers`` speaking sentences of the data), then
    the other parts for ``plan.steps``. ``requires_grad`` is as before afterwards and the module back on the CPU.
    Writes RUN/warmup.json."""
    flags = {name: parameter.requires_grad for name, parameter in module.generator.named_parameters()}
    module.to(device)
    started = time.perf_counter()
    probe = probe_batch(probe_items or train_items, cache)
    before = copy_synthesis_distance(module, probe)
    own_started = time.perf_counter()
    own_clips = _speak_own(module, train_items, plan, source_speakers, progress) if plan.own_speech else []
    held_out = min(OWN_SPEECH_HELD_OUT, len(own_clips) // 4) or len(own_clips)  # few clips: measured on those trained
    agreement_before = agreement(module.generator, own_clips[:held_out]) if own_clips else None
    if own_clips:
        _regress_posterior(module, own_clips[held_out:] or own_clips, plan, progress)
    own_speech_seconds = time.perf_counter() - own_started
    parts = tuple(part for part in plan.parts if not (own_clips and part == POSTERIOR))
    curve, skipped = _train_on_data(module, parts, plan, train_items, cache, device, progress, before) if parts else ([], 0)
    after = copy_synthesis_distance(module, probe)
    agreement_after = agreement(module.generator, own_clips[:held_out]) if own_clips else None
    steps = plan.steps if parts else 0
    result = WarmupResult(
        steps, time.perf_counter() - started, skipped, before, after, curve, agreement_before, agreement_after, own_speech_seconds
    )
    for name, parameter in module.generator.named_parameters():
        parameter.requires_grad_(flags[name])
    module.generator.train()
    module.to("cpu")
    if skipped:
        logger.warning("warm-up: %d of %d steps had a non-finite loss or gradient and were skipped", skipped, steps)
    logger.info("%s", result.summary())
    data = {"plan": asdict(plan), **asdict(result), "seconds_per_step": result.seconds_per_step}
    with atomic_path(run_dir / WARMUP_FILE) as temporary:
        temporary.write_text(json.dumps(data, indent=1), encoding="utf-8")
    return result
