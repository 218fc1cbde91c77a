"""Streaming: a sentence's latent decoded in overlapping windows, each yielding its audio as soon as it is ready.

Each window is decoded with the flow's and the decoder's receptive field of context on both sides
(``LatentContext``), so the joined windows equal decoding the whole sentence. The first window of a
stream is short so that audio starts early whatever the length of the text; later windows double up
to a largest size, so the audio already handed out grows faster than the time the next window takes.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch
from torch import Tensor

from polyvox.inference.speed import float32_without_onednn
from polyvox.inference.windows import (
    FIRST_CHUNK_FRAMES, MAX_CHUNK_FRAMES, ChunkSchedule, LatentWindow, SourcePhase, plan_windows,
)
from polyvox.models.receptive_field import LatentContext

# The window planning is torch-free (the ONNX engine streams with it too); re-exported here.
__all__ = [
    "FIRST_CHUNK_FRAMES", "MAX_CHUNK_FRAMES", "ChunkSchedule", "LatentWindow", "SourcePhase", "decode_window", "plan_windows",
    "stream_latent",
]


@torch.no_grad()
def decode_window(
    generator: torch.nn.Module, latent: Tensor, speaker: Tensor, window: LatentWindow, prosody_speaker: Tensor | None = None,
    phase: SourcePhase | None = None,
) -> Tensor:
    """Waveform (samples,) of ``window`` from a prior latent (1, channels, frames): flow (reverse), then decoder.
    ``prosody_speaker``: the flow's conditioning where it differs from ``speaker`` (a voice with style). ``phase``: a
    harmonic source's phase where the window starts, moved on to where it ends (windows in order; None: from 0)."""
    piece = latent[..., window.flow_start : window.flow_end]
    lead = window.start - window.decoder_start
    samples_per_frame = generator.decoder.samples_per_frame
    with float32_without_onednn(generator):
        flow_speaker = speaker if prosody_speaker is None else prosody_speaker
        flowed = generator.flow(piece, torch.ones_like(piece[:, :1]), flow_speaker, reverse=True)
        decoder_input = flowed[..., window.decoder_start - window.flow_start : window.decoder_end - window.flow_start]
        if generator.decoder.harmonic_source is None:
            waveform = generator.decoder(decoder_input, speaker)
        else:
            f0 = generator.decoder.read_f0(decoder_input, speaker)
            phase = SourcePhase() if phase is None else phase
            # The phase at the first frame of context, lead frames before the window's start.
            before = phase.cycles - float(f0[0, :lead].double().sum()) * samples_per_frame
            waveform = generator.decoder(decoder_input, speaker, f0, torch.tensor([before], dtype=torch.float64))
            phase.advance(f0[0, lead : lead + window.end - window.start].double().numpy(), samples_per_frame)
    first = lead * samples_per_frame
    return waveform[0, 0, first : first + (window.end - window.start) * samples_per_frame]


def stream_latent(
    generator: torch.nn.Module, latent: Tensor, speaker: Tensor, context: LatentContext, schedule: ChunkSchedule,
    prosody_speaker: Tensor | None = None,
) -> Iterator[np.ndarray]:
    """Float32 chunks in [-1, 1] of one sentence's prior latent (1, channels, frames), window by window."""
    phase = SourcePhase()
    for window in plan_windows(latent.shape[-1], context, schedule):
        yield decode_window(generator, latent, speaker, window, prosody_speaker, phase).float().clamp(-1.0, 1.0).numpy()
