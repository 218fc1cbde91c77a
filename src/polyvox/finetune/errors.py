"""The error fine-tuning raises for a source, data or options that cannot work together."""

from __future__ import annotations

from polyvox.train.run import TrainingSetupError


class FinetuneSetupError(TrainingSetupError):
    """The fine-tuning source, data or options do not fit together; the message says what to change."""
