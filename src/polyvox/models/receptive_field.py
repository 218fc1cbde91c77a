"""How many latent frames around a window the flow and the decoder need to reproduce it exactly.

Both stages are convolutional over frames (or, for attention couplings, read the whole sentence), so a
window of the latent decoded with this much context on each side gives the same samples as decoding the
whole sentence (streaming relies on it). Each component reports its own reach from its kernel sizes,
dilations, paddings and strides (``reach`` on the flow and on each decoder), so a new config or a new
component gets its true context instead of a guessed margin.
"""

from __future__ import annotations

from dataclasses import dataclass

from polyvox.config import DecoderConfig, FlowConfig, ModelConfig
from polyvox.models.conv_geometry import WHOLE_SENTENCE, Reach, back_through_transposed, conv_reach
from polyvox.models.decoders import decoder_class
from polyvox.models.flow import ResidualCouplingFlow

__all__ = ["WHOLE_SENTENCE", "LatentContext", "Reach", "back_through_transposed", "conv_reach", "decoder_reach", "flow_reach"]


def flow_reach(config: FlowConfig) -> Reach:
    """Frames of reach of the whole flow."""
    return ResidualCouplingFlow.reach(config)


def decoder_reach(config: DecoderConfig) -> Reach:
    """Frames of reach of the decoder ``config.type`` names."""
    return decoder_class(config).reach(config)


@dataclass(frozen=True)
class LatentContext:
    """Context frames, each side of a window, that make windowed synthesis equal whole-sentence synthesis."""

    flow: Reach  # the flow's own reach: its input must extend this far beyond the decoder's input
    decoder: Reach  # the decoder's reach: its input must extend this far beyond the window

    @classmethod
    def for_model(cls, config: ModelConfig) -> LatentContext:
        return cls(flow=flow_reach(config.flow), decoder=decoder_reach(config.decoder))
