"""How many latent frames around a window the flow and the decoder need to reproduce it exactly.

Both stages are convolutional over frames, so a window of the latent decoded with this much context
on each side gives the same samples as decoding the whole sentence (streaming relies on it). The reach
is read from the config's kernel sizes, dilations, paddings and strides, walking each stage from its
output back to its input, so a new config gets its true context instead of a guessed margin.
"""

from __future__ import annotations

from dataclasses import dataclass

from polyvox.config import DecoderConfig, FlowConfig, ModelConfig
from polyvox.models.decoders.hifigan import POST_KERNEL_SIZE, PRE_KERNEL_SIZE
from polyvox.models.decoders.pqmf import PROTOTYPES


@dataclass(frozen=True)
class Reach:
    """Input positions an output position depends on: ``left`` before it and ``right`` after it."""

    left: int = 0
    right: int = 0

    def __add__(self, other: Reach) -> Reach:
        return Reach(self.left + other.left, self.right + other.right)

    def widest(self, other: Reach) -> Reach:
        return Reach(max(self.left, other.left), max(self.right, other.right))


def conv_reach(kernel_size: int, dilation: int, left_padding: int) -> Reach:
    """A stride-1 convolution: output ``i`` reads inputs ``i - left_padding`` .. ``i - left_padding + span``."""
    span = dilation * (kernel_size - 1)
    return Reach(left_padding, span - left_padding)


def back_through_transposed(reach: Reach, kernel_size: int, stride: int, padding: int) -> Reach:
    """``reach`` in a transposed convolution's output samples -> in its input samples.

    Output ``o = i * stride - padding + j`` (``0 <= j < kernel_size``), so output ``o`` reads inputs
    ``ceil((o + padding - kernel_size + 1) / stride)`` .. ``floor((o + padding) / stride)``; the bounds
    below hold for every phase of ``o`` relative to its input position ``floor(o / stride)``.
    """
    return Reach(
        (reach.left + kernel_size - 1 - padding) // stride,
        (reach.right + padding + stride - 1) // stride,
    )


# Reach of a stage that sees the whole sentence: a window's context is then the sentence itself (windows
# clamp their context to the sentence's frames), so streaming stays equal to whole-sentence synthesis.
WHOLE_SENTENCE = 1 << 30


def flow_reach(config: FlowConfig) -> Reach:
    """Frames of reach of the whole flow: every coupling's WaveNet layers in series; relative-attention
    couplings (MeloTTS, VITS2) attend over the whole sentence."""
    if config.type == "transformer":
        return Reach(WHOLE_SENTENCE, WHOLE_SENTENCE)
    coupling = Reach()
    for layer in range(config.n_layers):
        dilation = config.dilation_rate**layer
        padding = (config.kernel_size * dilation - dilation) // 2  # as WaveNet pads
        coupling = coupling + conv_reach(config.kernel_size, dilation, padding)
    return Reach(coupling.left * config.n_flows, coupling.right * config.n_flows)


def _resblock_stage_reach(config: DecoderConfig) -> Reach:
    """One up-sampling stage's residual blocks (run in parallel and averaged): the widest block."""
    widest = Reach()
    for kernel_size, dilations in zip(config.resblock_kernel_sizes, config.resblock_dilations):
        block = Reach()
        for dilation in dilations:
            for layer_dilation in (dilation, 1):  # the dilated convolution, then the plain one
                span = layer_dilation * (kernel_size - 1)
                block = block + conv_reach(kernel_size, layer_dilation, span // 2)  # LengthPreservingConv1d
        widest = widest.widest(block)
    return widest


def decoder_reach(config: DecoderConfig) -> Reach:
    """Frames of reach of the decoder, walked from its last layer back to ``conv_pre``."""
    reach = Reach()
    if config.subbands > 1:
        # The pseudo-QMF synthesis: a transposed convolution over the sub-band samples, cut by half its order.
        taps = PROTOTYPES[config.subbands][0] + 1
        reach = back_through_transposed(reach, taps, config.subbands, taps // 2)
    if config.type == "istft":
        # The inverse STFT is a transposed convolution with the FFT size as kernel, cut by n_fft // 2 at the start.
        reach = back_through_transposed(reach, config.istft_n_fft, config.istft_hop, config.istft_n_fft // 2)
    reach = reach + conv_reach(POST_KERNEL_SIZE, 1, POST_KERNEL_SIZE // 2)
    stages = list(zip(config.upsample_rates, config.upsample_kernel_sizes))
    for rate, kernel_size in reversed(stages):
        reach = reach + _resblock_stage_reach(config)
        reach = back_through_transposed(reach, kernel_size, rate, (kernel_size - rate) // 2)
    return reach + conv_reach(PRE_KERNEL_SIZE, 1, PRE_KERNEL_SIZE // 2)


@dataclass(frozen=True)
class LatentContext:
    """Context frames, each side of a window, that make windowed synthesis equal whole-sentence synthesis."""

    flow: Reach  # the flow's own reach: its input must extend this far beyond the decoder's input
    decoder: Reach  # the decoder's reach: its input must extend this far beyond the window

    @classmethod
    def for_model(cls, config: ModelConfig) -> LatentContext:
        return cls(flow=flow_reach(config.flow), decoder=decoder_reach(config.decoder))
