"""Training settings for fine-tuning a trained voice on a few minutes of data.

A pretrained voice is already close; large steps on little data undo it. So the learning rate is low,
the run is short, validation (with audio samples) comes every few hundred steps, and the output voice
is the step with the lowest validation loss, not the last one.

The discriminator: a voice file carries none. A freshly initialised discriminator's first gradients are
noise to a converged generator, and on a few minutes of audio a discriminator overfits within a few
hundred steps; the reconstruction (mel), KL and duration losses alone keep the voice's quality at this
learning rate. So from a voice file the adversarial loss is off (``discriminator_start_step`` is out of
reach). From a training checkpoint, which carries the trained discriminator, it continues from step 0.
``--set training.discriminator_start_step=N`` adds a fresh discriminator at step N anyway (for an hour
of data or more).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from polyvox.config import TrainingConfig

# A step no fine-tuning run reaches: the discriminator never joins.
NO_ADVERSARIAL_STEP = 1_000_000_000


@dataclass(frozen=True)
class FinetuneDefaults:
    learning_rate: float = 2e-5
    max_steps: int = 2000
    # Validation (per language, with audio samples) and checkpoints this often.
    validate_every_steps: int = 200
    batch_size: int = 8
    keep_checkpoints: int = 2
    # Held-out clips per language (the fixed validation set).
    validation_per_language: int = 2
    # Warm-up of the parts an imported voice lacks (finetune/warmup_plan.py): new weights, trained at VITS's own
    # rate; on joe, 1e-3 made the KL spike from 862 to 2e7 at step 2 (benchmarks/results/imported_warmup*.json).
    warmup_steps: int = 400
    warmup_learning_rate: float = 2e-4


DEFAULTS = FinetuneDefaults()


def finetune_training(source: TrainingConfig, adversarial: bool, mixed_languages: bool, defaults: FinetuneDefaults = DEFAULTS) -> TrainingConfig:
    """The source voice's training config with the fine-tuning schedule; ``mixed_languages`` turns on the
    language-balanced sampler (several languages in the data, e.g. a new one with replay)."""
    return dataclasses.replace(
        source,
        learning_rate=defaults.learning_rate,
        max_steps=defaults.max_steps,
        audio_samples_every_steps=defaults.validate_every_steps,
        checkpoint_every_steps=defaults.validate_every_steps,
        batch_size=min(source.batch_size, defaults.batch_size),
        keep_checkpoints=defaults.keep_checkpoints,
        discriminator_start_step=0 if adversarial else NO_ADVERSARIAL_STEP,
        batch_sampler="language_balanced" if mixed_languages else source.batch_sampler,
    )
