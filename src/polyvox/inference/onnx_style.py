"""The style parts of an exported voice, run by onnxruntime without torch: its style encoder (``clip_style``) and its
style sampler (``StyleSampler.sample`` and ``sampled_style``).

A reference clip is read and checked as ``Voice`` reads it (``reference_clips``, the same messages), its log-mel
computed by numpy (``NumpyMelSpectrogram``) and encoded by the style encoder graph. The condition graph encodes the sentence; the Euler loop runs here, one call of the velocity graph per step, and
mixes the conditioned and unconditioned velocities as the PyTorch sampler does (the mixing in float32 numpy, so
with the same starting noise both engines draw the same style to float rounding).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from polyvox.audio.numpy_mel import NumpyMelSpectrogram
from polyvox.config import AudioConfig
from polyvox.errors import PolyvoxError
from polyvox.export.metadata import TEXT_FEATURES_INPUT
from polyvox.inference.engine import Encoded, text_features_of
from polyvox.inference.reference_clips import ReferenceAudio, checked_clips
from polyvox.speech_request import SpeechRequest

if TYPE_CHECKING:
    import onnxruntime


class OnnxStyleSamplerError(PolyvoxError, RuntimeError):
    """The exported style sampler drew a non-finite style; nothing is spoken (a NaN style would make NaN audio)."""


class OnnxStyleEncoder:
    """The style encoder graph and the log-mel it reads: reference clips -> their style."""

    def __init__(self, session: onnxruntime.InferenceSession, audio: AudioConfig) -> None:
        self.session = session
        self.audio = audio
        self.mel = NumpyMelSpectrogram(audio)

    def clip_style(self, references: ReferenceAudio | Sequence[ReferenceAudio]) -> np.ndarray:
        """The style (style_channels,) of one or several clips (several are averaged), as ``clip_style``; the clips are
        checked as timbre references are (``ReferenceClipError``, ``AudioError``)."""
        vectors = [
            self.session.run(None, {"reference_mel": self.mel(samples)[None]})[0][0]
            for samples in checked_clips(self.audio.sample_rate, references)
        ]
        return np.mean(vectors, axis=0, dtype=np.float32)


class OnnxStyleSampler:
    def __init__(self, condition: onnxruntime.InferenceSession, velocity: onnxruntime.InferenceSession, channels: int) -> None:
        self.condition = condition
        self.velocity = velocity
        self.channels = channels
        self._condition_inputs = {item.name for item in condition.get_inputs()}

    def sentence_condition(self, encoded: Encoded, speaker_id: int) -> np.ndarray:
        """What the sampler is conditioned on for one sentence (1, condition_channels); a text-feature voice's
        condition graph reads the sentence's features too."""
        ids, languages, prosody = encoded
        features = text_features_of(encoded)
        feed = {
            "phoneme_ids": np.array([ids], dtype=np.int64), "language_ids": np.array([languages], dtype=np.int64),
            "text_lengths": np.array([len(ids)], dtype=np.int64), "speaker_ids": np.array([speaker_id], dtype=np.int64),
            "prosody_ids": np.array([prosody], dtype=np.int64),
            **({} if features is None else {TEXT_FEATURES_INPUT: np.asarray(features[None], dtype=np.float32)}),
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
