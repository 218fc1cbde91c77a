"""LightningModule that trains only a generator's reference encoder (see train/reference.py)."""

from __future__ import annotations

from typing import Any

import lightning as L
import torch

from polyvox.data.dataset import Batch
from polyvox.train.reference_loss import reference_loss


class ReferenceEncoderModule(L.LightningModule):
    def __init__(self, generator: torch.nn.Module, crop_frames: tuple[int, int], learning_rate: float) -> None:
        super().__init__()
        self.generator = generator
        self.crop_frames = crop_frames
        self.learning_rate = learning_rate
        self.last_loss = float("nan")
        # Everything else stays exactly as trained: the speaker rows are the targets.
        for name, parameter in generator.named_parameters():
            parameter.requires_grad_(name.startswith("reference_encoder."))

    def configure_optimizers(self) -> Any:
        return torch.optim.AdamW(self.generator.reference_encoder.parameters(), lr=self.learning_rate)

    def training_step(self, batch: Batch, batch_index: int) -> torch.Tensor:
        loss = reference_loss(self.generator, batch, self.crop_frames)
        self.last_loss = float(loss.detach())
        self.log("reference_loss", loss.detach(), prog_bar=True)
        return loss
