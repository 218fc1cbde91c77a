"""Which parts of a voice are untrained (named by its importer) and the warm-up that trains them first.

A released Piper voice (an ONNX graph) holds the inference path only: its import builds the posterior encoder
and the stochastic duration predictor's posterior flows new and names them in the voice's info (``untrained``:
comma-separated parameter-name prefixes). Fine-tuning as usual would train the flow and the decoder to match a
random posterior encoder and wreck the voice, so those parts are trained alone first (``finetune/warmup.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from polyvox.voice_file import VoiceMetadata
from polyvox.finetune.defaults import DEFAULTS
from polyvox.finetune.errors import FinetuneSetupError

logger = logging.getLogger(__name__)

# The voice-info key an importer writes for the parts it could not fill with trained weights.
UNTRAINED_INFO = "untrained"
# Sentences of the training data the voice speaks for the own-speech stage (finetune/own_speech.py) when its
# posterior encoder is untrained; on joe about 4 minutes at one CPU thread.
OWN_SPEECH_CLIPS = 600


def untrained_parts(metadata: VoiceMetadata) -> tuple[str, ...]:
    """Parameter-name prefixes the voice's info names as untrained (none for a trained voice)."""
    return tuple(part.strip() for part in metadata.info.get(UNTRAINED_INFO, "").split(",") if part.strip())


def in_parts(name: str, parts: Sequence[str]) -> bool:
    return any(name == part or name.startswith(part + ".") for part in parts)


@dataclass(frozen=True)
class WarmupPlan:
    parts: tuple[str, ...]
    steps: int
    learning_rate: float
    own_speech_steps: int = 0  # plan_warmup: as many as ``steps``
    own_speech_clips: int = OWN_SPEECH_CLIPS

    @property
    def own_speech(self) -> bool:
        """Whether the posterior encoder first learns the voice's own latents (then the other parts take the steps)."""
        return "posterior_encoder" in self.parts and self.own_speech_steps > 0 and self.own_speech_clips > 0

    def describe(self) -> str:
        own = (
            f"the posterior encoder first learns to read back the voice's own latents ({self.own_speech_steps} steps on "
            f"{self.own_speech_clips} sentences it speaks itself); " if self.own_speech else ""
        )
        return (
            f"the source has untrained parts ({', '.join(self.parts)}): {own}a warm-up of {self.steps} steps (learning "
            f"rate {self.learning_rate:g}) trains them against the frozen flow, decoder, text encoder and duration "
            "predictors first, then the fine-tune runs as usual"
        )


def plan_warmup(source: VoiceMetadata, steps: int | None, learning_rate: float | None) -> WarmupPlan | None:
    """None when the source has no untrained parts, or when ``steps`` is 0 (a warning says what that risks)."""
    if steps is not None and steps < 0:
        raise FinetuneSetupError(f"warm-up steps must be 0 or more, not {steps}")
    if learning_rate is not None and learning_rate <= 0:
        raise FinetuneSetupError(f"the warm-up learning rate must be positive, not {learning_rate}")
    parts = untrained_parts(source)
    if not parts:
        return None
    if steps == 0:
        logger.warning(
            "the source's %s are untrained and the warm-up is off: fine-tuning trains the flow and decoder against them, "
            "which can ruin the voice; leave the warm-up steps at their default", ", ".join(parts),
        )
        return None
    steps = steps or DEFAULTS.warmup_steps
    return WarmupPlan(parts, steps, learning_rate or DEFAULTS.warmup_learning_rate, own_speech_steps=steps)
