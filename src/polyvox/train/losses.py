"""VITS losses: KL between posterior and prior, least-squares GAN, feature matching."""

from __future__ import annotations

import torch
from torch import Tensor


def kl_loss(
    flow_latent: Tensor, posterior_log_scales: Tensor, prior_means: Tensor, prior_log_scales: Tensor, frame_mask: Tensor
) -> Tensor:
    """KL(q(z|audio) || p(z|text)) estimated at the flow output, averaged over valid frames and channels.

    All tensors (batch, channels, frames); frame_mask (batch, 1, frames).
    """
    kl = prior_log_scales - posterior_log_scales - 0.5
    kl = kl + 0.5 * (flow_latent - prior_means).pow(2) * torch.exp(-2.0 * prior_log_scales)
    return torch.sum(kl * frame_mask) / torch.sum(frame_mask)


def discriminator_loss(real_scores: list[Tensor], fake_scores: list[Tensor]) -> Tensor:
    """Least-squares GAN: real towards 1, fake towards 0, summed over discriminators."""
    total = torch.zeros(())
    for real, fake in zip(real_scores, fake_scores):
        total = total + torch.mean((1.0 - real).pow(2)) + torch.mean(fake.pow(2))
    return total


def generator_adversarial_loss(fake_scores: list[Tensor]) -> Tensor:
    total = torch.zeros(())
    for fake in fake_scores:
        total = total + torch.mean((1.0 - fake).pow(2))
    return total


def feature_matching_loss(real_features: list[list[Tensor]], fake_features: list[list[Tensor]]) -> Tensor:
    """L1 between discriminator activations on real and generated audio (real side detached)."""
    total = torch.zeros(())
    for real_layers, fake_layers in zip(real_features, fake_features):
        for real, fake in zip(real_layers, fake_layers):
            total = total + torch.mean(torch.abs(real.detach() - fake))
    return total
