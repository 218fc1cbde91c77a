"""How far a convolution reads (its reach, for streaming) and how short an input it accepts.

Each component reports its own figures from these (the decoders, WaveNet, the flow couplings), so a new
component brings its geometry with it instead of having it re-derived elsewhere.
"""

from __future__ import annotations

from dataclasses import dataclass

# Reach of a stage that sees the whole sentence: a window's context is then the sentence itself (windows
# clamp their context to the sentence's frames), so streaming stays equal to whole-sentence synthesis.
WHOLE_SENTENCE = 1 << 30


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


@dataclass(frozen=True)
class ConvStep:
    kernel_size: int
    stride: int = 1
    dilation: int = 1
    total_padding: int = 0  # zeros added on both sides together


def half_padded(kernel_size: int, stride: int = 1, dilation: int = 1) -> ConvStep:
    """A convolution padded by ``dilation * (kernel_size - 1) // 2`` on each side (the usual choice)."""
    return ConvStep(kernel_size, stride, dilation, 2 * (dilation * (kernel_size - 1) // 2))


def minimum_input_length(steps: list[ConvStep]) -> int:
    """Shortest input for which every step of the chain yields at least one output element."""
    needed = 1
    for step in reversed(steps):
        receptive = step.dilation * (step.kernel_size - 1) + 1
        needed = max(1, (needed - 1) * step.stride + receptive - step.total_padding)
    return needed
