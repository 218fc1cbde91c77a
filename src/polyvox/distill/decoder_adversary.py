"""A discriminator for the decoder student (``distill --discriminator-after``).

Spectral losses compare magnitudes, not phase, and a student too small to copy the source exactly is pulled
toward what is closest on average, which need not sound like speech. The preset's multi-period and multi-scale
discriminators, as voice training uses them (least-squares adversarial loss and feature matching), judge whether
the student's output sounds like the source decoder's.
"""

from __future__ import annotations

import torch
from torch import Tensor

from polyvox.config import DiscriminatorConfig, TrainingConfig
from polyvox.distill.options import DistillError
from polyvox.models.discriminators import MultiPeriodMultiScaleDiscriminator
from polyvox.train.losses import discriminator_loss, feature_matching_loss, generator_adversarial_loss


class DecoderAdversary:
    """The discriminator, its optimiser and the generator's adversarial terms, weighted against the student's
    reconstruction loss as voice training weighs them against its mel loss."""

    def __init__(self, config: DiscriminatorConfig, learning_rate: float, seed: int) -> None:
        with torch.random.fork_rng():  # the caller's random state is left as it was
            torch.manual_seed(seed + 1)
            self.discriminator = MultiPeriodMultiScaleDiscriminator(config)
        training = TrainingConfig()
        self.optimizer = torch.optim.AdamW(self.discriminator.parameters(), learning_rate, betas=training.adam_betas)
        # The student's reconstruction loss counts 1 where voice training's mel loss counts mel_loss_weight.
        self.adversarial_weight = 1.0 / training.mel_loss_weight
        self.feature_weight = training.feature_loss_weight / training.mel_loss_weight

    def train_step(self, target: Tensor, generated: Tensor) -> float:
        """One discriminator step on real (the source decoder's) and generated segments; its loss."""
        scores = self.discriminator(target, generated.detach())
        loss = discriminator_loss(scores.real_scores, scores.fake_scores)
        if not torch.isfinite(loss):
            raise DistillError(f"the decoder student's discriminator loss is {float(loss)}; lower the learning rate")
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.discriminator.parameters(), 10.0)
        self.optimizer.step()
        return float(loss.detach())

    def generator_loss(self, target: Tensor, generated: Tensor) -> Tensor:
        """Adversarial and feature-matching terms for the student (gradients reach ``generated`` only)."""
        scores = self.discriminator.for_generator(target, generated)
        adversarial = generator_adversarial_loss(scores.fake_scores)
        features = feature_matching_loss(scores.real_features, scores.fake_features)
        return self.adversarial_weight * adversarial + self.feature_weight * features

    def state_dict(self) -> dict[str, object]:
        return {"discriminator": self.discriminator.state_dict(), "optimizer": self.optimizer.state_dict()}

    def load_state_dict(self, state: dict[str, object]) -> None:
        self.discriminator.load_state_dict(state["discriminator"])
        self.optimizer.load_state_dict(state["optimizer"])
