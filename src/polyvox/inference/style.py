"""Style from a request: a label's row (``emotion``) or a clip's encoded style (``style_reference``), moved from the
voice's neutral style by ``style_strength``, or one drawn for each sentence by the voice's style sampler
(``style="sample"``). The speaker (or timbre reference) still sets who speaks."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from polyvox.errors import PolyvoxError
from polyvox.export.style_tables import StyleTables
from polyvox.inference.engine import Encoded, text_features_of
from polyvox.inference.reference import ReferenceAudio, clip_mels
from polyvox.inference.request import SpeechOptions
from polyvox.models.vits import sequence_mask
from polyvox.speech_request import SpeechRequest


@torch.no_grad()
def clip_style(generator: torch.nn.Module, audio: object, references: ReferenceAudio | Sequence[ReferenceAudio]) -> torch.Tensor:
    """The style vector (style_channels,) of one or several clips (several are averaged); the clips are checked as
    timbre references are (``ReferenceClipError``)."""
    vectors = []
    for mel in clip_mels(audio, references):  # type: ignore[arg-type]
        frame_mask = sequence_mask(torch.tensor([mel.shape[-1]]), mel.shape[-1]).unsqueeze(1).to(mel.dtype)
        vectors.append(generator.style_encoder.encode(mel, frame_mask)[0])
    return torch.stack(vectors).mean(dim=0)


@torch.no_grad()
def style_tables(generator: torch.nn.Module) -> StyleTables | None:
    """A style voice's label rows (after the encoder's tanh) and neutral style, as an export's json stores them."""
    encoder = generator.style_encoder
    if encoder is None:
        return None
    labels = generator.config.style.labels
    rows = encoder.label_vectors(torch.arange(len(labels))).tolist() if labels else []
    return StyleTables(
        labels=tuple(labels), label_vectors=tuple(tuple(row) for row in rows), neutral=tuple(encoder.neutral.tolist())
    )


@torch.no_grad()
def request_style(generator: torch.nn.Module, audio: object, options: SpeechOptions) -> torch.Tensor | None:
    """The style (1, style_channels) the request asks for; None: the voice's neutral style (or a voice without style,
    which ``VoiceText.options`` has already refused style options for)."""
    encoder = generator.style_encoder
    request = options.request
    if encoder is None:
        return None
    if options.style_label is not None:
        given = encoder.label_vectors(torch.tensor([options.style_label]))[0]
    elif request.style_reference is not None:
        given = clip_style(generator, audio, request.style_reference)
    else:
        return None
    return encoder.blended(given, request.style_strength).unsqueeze(0)


class StyleSamplerError(PolyvoxError, RuntimeError):
    """The style sampler drew a non-finite style; the message names the likely cause. The voice is at fault, not the
    request: nothing is spoken (a NaN style would reach the decoder as NaN audio)."""


@torch.no_grad()
def sampled_style(
    generator: torch.nn.Module, encoded: Encoded, speaker: torch.Tensor, request: SpeechRequest, noise: torch.Generator | None
) -> torch.Tensor:
    """A style (1, style_channels) drawn by the voice's style sampler for one sentence's ids and the speaker vector
    (1, speaker_channels, 1), its noise from ``noise``; checked finite (``StyleSamplerError``), then bounded to the
    style encoder's (-1, 1) box."""
    ids, languages, prosody = encoded
    features = text_features_of(encoded)
    condition = generator.style_condition(
        torch.tensor([ids]), torch.tensor([languages]), torch.tensor([len(ids)]), speaker, torch.tensor([prosody]),
        None if features is None else torch.from_numpy(features)[None],
    )
    styles = generator.style_sampler.sample(condition, request.style_steps, request.style_scale, noise)
    if not bool(torch.isfinite(styles).all()):
        raise StyleSamplerError(_non_finite_cause(generator, condition, request))
    return styles.clamp(-1.0, 1.0)


def _non_finite_cause(generator: torch.nn.Module, condition: torch.Tensor, request: SpeechRequest) -> str:
    """One line: the sampler, what it was asked, and the first likely cause found."""
    broken = [name for name, tensor in generator.style_sampler.state_dict().items() if not bool(torch.isfinite(tensor).all())]
    if broken:
        names = ", ".join(f"style_sampler.{name}" for name in broken[:3])
        cause = f"its weights hold NaN or Inf ({names}): the voice is damaged; use an intact copy or retrain it"
    elif not bool(torch.isfinite(condition).all()):
        cause = "its condition (the text encoder's states or the speaker vector) is not finite: a component before it is broken"
    else:
        cause = "its weights do not fit the rest of this voice, or this style_scale drives it off: try style_scale nearer 1"
    return (
        f"the style sampler drew a non-finite style (style_steps {request.style_steps}, style_scale {request.style_scale:g}): "
        f"{cause}; polyvox doctor on the voice names the module"
    )
