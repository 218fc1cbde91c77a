"""Monotone piecewise rational-quadratic spline with identity tails (neural spline flows).

The spline maps ``[-tail_bound, tail_bound]`` onto itself through ``bins`` bins whose widths,
heights and knot derivatives come from unconstrained network outputs; outside the interval it is
the identity, and the boundary derivatives are 1 so the map is smooth at the edges.

It is written with operators of onnxruntime-mobile's reduced build (``polyvox.export.operator_check``):
softplus as its parts when exported (no ``Softplus``) and the lookup of each value's bin as a mask
summed over bins (no ``GatherElements``, and the same values as a gather).
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.nn import functional as F

DEFAULT_MIN_BIN_SIZE = 1e-3
DEFAULT_MIN_DERIVATIVE = 1e-3
# Above it softplus(x) is x in float32; torch.nn.functional.softplus's own default threshold.
SOFTPLUS_THRESHOLD = 20.0


def rational_quadratic_spline(
    inputs: Tensor,
    unnormalized_widths: Tensor,
    unnormalized_heights: Tensor,
    unnormalized_derivatives: Tensor,
    inverse: bool,
    tail_bound: float,
    min_bin_size: float = DEFAULT_MIN_BIN_SIZE,
    min_derivative: float = DEFAULT_MIN_DERIVATIVE,
) -> tuple[Tensor, Tensor]:
    """Apply the spline (or its inverse) elementwise.

    Args:
        inputs: any shape ``(...)``.
        unnormalized_widths, unnormalized_heights: ``(..., bins)``.
        unnormalized_derivatives: ``(..., bins - 1)``, one per interior knot.
        inverse: apply the inverse map.
        tail_bound: half-width of the interval the spline acts on.
        min_bin_size: smallest bin width and height, as a fraction of the interval.
        min_derivative: smallest derivative at an interior knot.

    Returns:
        ``outputs`` with the shape of ``inputs`` and ``log_abs_det``, the elementwise log of
        ``|d outputs / d inputs|`` of the map applied (forward or inverse).
    """
    bins = unnormalized_widths.shape[-1]
    if min_bin_size * bins >= 1.0:
        raise ValueError(f"min_bin_size {min_bin_size} is too large for {bins} bins; it must be < 1 / bins")
    inside = (inputs >= -tail_bound) & (inputs <= tail_bound)
    values = inputs.clamp(-tail_bound, tail_bound)

    knots_x = _knot_positions(unnormalized_widths, min_bin_size, tail_bound)  # (..., bins + 1)
    knots_y = _knot_positions(unnormalized_heights, min_bin_size, tail_bound)
    ones = torch.ones_like(unnormalized_derivatives[..., :1])
    interior_derivatives = min_derivative + softplus(unnormalized_derivatives)
    knot_derivatives = torch.cat([ones, interior_derivatives, ones], dim=-1)  # (..., bins + 1)

    search_knots = knots_y if inverse else knots_x
    bin_index = (values[..., None] >= search_knots[..., 1:bins]).sum(dim=-1, keepdim=True)  # (..., 1)
    in_bin = bin_index == torch.arange(bins, device=inputs.device)  # (..., bins), one True per value

    def take(knot_values: Tensor) -> Tensor:
        """(..., bins) -> (...): the value of each input's bin (a sum of it and zeros: exact)."""
        return torch.where(in_bin, knot_values, torch.zeros_like(knot_values)).sum(dim=-1)

    # Differences by slicing rather than Tensor.diff, which the ONNX exporter cannot translate.
    left_x, bin_width = take(knots_x[..., :-1]), take(knots_x[..., 1:] - knots_x[..., :-1])
    bottom_y, bin_height = take(knots_y[..., :-1]), take(knots_y[..., 1:] - knots_y[..., :-1])
    left_derivative, right_derivative = take(knot_derivatives[..., :-1]), take(knot_derivatives[..., 1:])
    slope = bin_height / bin_width
    curvature = right_derivative + left_derivative - 2 * slope

    if inverse:
        offset_y = values - bottom_y
        quadratic_a = bin_height * (slope - left_derivative) + offset_y * curvature
        quadratic_b = bin_height * left_derivative - offset_y * curvature
        quadratic_c = -slope * offset_y
        discriminant = (quadratic_b.square() - 4 * quadratic_a * quadratic_c).clamp(min=0.0)
        position = 2 * quadratic_c / (-quadratic_b - discriminant.sqrt())  # in [0, 1] within the bin
        spline_outputs = left_x + position * bin_width
    else:
        position = (values - left_x) / bin_width
        mixed = position * (1 - position)
        spline_outputs = bottom_y + bin_height * (slope * position.square() + left_derivative * mixed) / (
            slope + curvature * mixed
        )

    mixed = position * (1 - position)
    denominator = slope + curvature * mixed
    derivative_numerator = slope.square() * (
        right_derivative * position.square() + 2 * slope * mixed + left_derivative * (1 - position).square()
    )
    log_derivative = torch.log(derivative_numerator) - 2 * torch.log(denominator)
    log_abs_det = -log_derivative if inverse else log_derivative

    outputs = torch.where(inside, spline_outputs, inputs)
    return outputs, torch.where(inside, log_abs_det, torch.zeros_like(log_abs_det))


def softplus(inputs: Tensor) -> Tensor:
    """``torch.nn.functional.softplus``; in an ONNX export, its definition written with ``Exp``, ``Log``,
    ``Greater`` and ``Where``. (In PyTorch the parts differ from the fused kernel by an ulp, so trained voices
    keep the fused one there; in onnxruntime both forms came within 2e-6 of PyTorch on inputs up to 100.)"""
    if not torch.onnx.is_in_onnx_export():
        return F.softplus(inputs)
    return torch.where(inputs > SOFTPLUS_THRESHOLD, inputs, torch.log1p(torch.exp(inputs)))


def _knot_positions(unnormalized_sizes: Tensor, min_bin_size: float, tail_bound: float) -> Tensor:
    """``(..., bins)`` unconstrained sizes -> ``(..., bins + 1)`` increasing knots from -bound to bound."""
    bins = unnormalized_sizes.shape[-1]
    sizes = min_bin_size + (1 - min_bin_size * bins) * torch.softmax(unnormalized_sizes, dim=-1)
    interior = 2 * tail_bound * torch.cumsum(sizes[..., :-1], dim=-1) - tail_bound
    lower = torch.full_like(sizes[..., :1], -tail_bound)
    upper = torch.full_like(sizes[..., :1], tail_bound)
    return torch.cat([lower, interior, upper], dim=-1)
