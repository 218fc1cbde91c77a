"""The style sampler of an exported voice, run by onnxruntime: ``StyleSampler.sample`` and ``sampled_style`` without torch.

The condition graph encodes the sentence; the Euler loop runs here, one call of the velocity graph per step, and
mixes the conditioned and unconditioned velocities as the PyTorch sampler does (the mixing in float32 numpy, so
with the same starting noise both engines draw the same style to float rounding).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from polyvox.errors import PolyvoxError
from polyvox.inference.engine import Encoded
from polyvox.speech_request import SpeechRequest

if TYPE_CHECKING:
    import onnxruntime


class OnnxStyleSamplerError(PolyvoxError, RuntimeError):
    """The exported style sampler drew a non-finite style; nothing is spoken (a NaN style would make NaN audio)."""


class OnnxStyleSampler:
    def __init__(self, condition: onnxruntime.InferenceSession, velocity: onnxruntime.InferenceSession, channels: int) -> None:
        self.condition = condition
        self.velocity = velocity
        self.channels = channels
        self._condition_inputs = {item.name for item in condition.get_inputs()}

    def sentence_condition(self, encoded: Encoded, speaker_id: int) -> np.ndarray:
        """What the sampler is conditioned on for one sentence (1, condition_channels)."""
        ids, languages, prosody = encoded
        feed = {
            "phoneme_ids": np.array([ids], dtype=np.int64), "language_ids": np.array([languages], dtype=np.int64),
            "text_lengths": np.array([len(ids)], dtype=np.int64), "speaker_ids": np.array([speaker_id], dtype=np.int64),
            "prosody_ids": np.array([prosody], dtype=np.int64),
        }
        return self.condition.run(None, {name: value for name, value in feed.items() if name in self._condition_inputs})[0]

    def sample(self, condition: np.ndarray, steps: int, scale: float, start: np.ndarray) -> np.ndarray:
        """Styles (batch, channels) moved from ``start`` (standard-normal, (batch, channels)) in ``steps`` Euler steps,
        guided by ``scale``; unbounded and unchecked, as ``StyleSampler.sample``."""
        styles = np.asarray(start, dtype=np.float32)
        for step in range(steps):
            times = np.full((len(styles),), step / steps, dtype=np.float32)
            velocity, free = self.velocity.run(None, {"styles": styles, "times": times, "style_condition": condition})
            if scale != 1.0:
                velocity = free + np.float32(scale) * (velocity - free)
            styles = styles + velocity / np.float32(steps)
        return styles

    def sentence_style(self, encoded: Encoded, speaker_id: int, request: SpeechRequest, noise: np.random.Generator) -> np.ndarray:
        """A style (1, channels) for one sentence, its starting noise drawn from ``noise``; checked finite, then
        bounded to the style encoder's (-1, 1) box (``OnnxStyleSamplerError`` for a non-finite draw)."""
        start = noise.standard_normal((1, self.channels), dtype=np.float32)
        styles = self.sample(self.sentence_condition(encoded, speaker_id), request.style_steps, request.style_scale, start)
        if not np.isfinite(styles).all():
            raise OnnxStyleSamplerError(
                f"the exported style sampler drew a non-finite style (style_steps {request.style_steps}, style_scale "
                f"{request.style_scale:g}): try style_scale nearer 1, or run polyvox doctor on the voice file it was exported from"
            )
        return np.clip(styles, -1.0, 1.0)
