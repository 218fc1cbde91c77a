"""Style from a request: a label's row (``emotion``) or a clip's encoded style (``style_reference``), moved from the
voice's neutral style by ``style_strength``. The speaker (or timbre reference) still sets who speaks."""

from __future__ import annotations

from collections.abc import Sequence

import torch

from polyvox.inference.reference import ReferenceAudio, clip_mels
from polyvox.inference.request import SpeechOptions
from polyvox.models.vits import sequence_mask


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
