"""Relative-position self-attention: the banded computation equals the definition (Shaw et al.)."""

from __future__ import annotations

import pytest
import torch

from polyvox.models.attention import RelativeSelfAttention


def relative_table(table: torch.Tensor, length: int, window: int) -> torch.Tensor:
    """The definition: a (length, length, channels) table holding the embedding of offset j - i, zero outside the window."""
    positions = torch.arange(length)
    offsets = positions[None, :] - positions[:, None]
    inside = offsets.abs() <= window
    return table[(offsets.clamp(-window, window) + window)] * inside.unsqueeze(-1).to(table.dtype)


def attention_by_definition(attention: RelativeSelfAttention, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    batch, channels, length = hidden.shape
    heads, head_channels, window = attention.n_heads, attention.head_channels, attention.window_size

    def split(x: torch.Tensor) -> torch.Tensor:
        return x.view(batch, heads, head_channels, length).transpose(2, 3)

    query = split(attention.query(hidden)) / head_channels**0.5
    key, value = split(attention.key(hidden)), split(attention.value(hidden))
    scores = query @ key.transpose(-2, -1)
    scores = scores + torch.einsum("bhid,ijd->bhij", query, relative_table(attention.relative_keys, length, window))
    weights = torch.softmax(scores.masked_fill(mask == 0, -1e4), dim=-1)
    attended = weights @ value + torch.einsum("bhij,ijd->bhid", weights, relative_table(attention.relative_values, length, window))
    return attention.output(attended.transpose(2, 3).reshape(batch, channels, length))


@pytest.mark.parametrize("length", [1, 2, 4, 5, 9, 37])
def test_banded_relative_attention_matches_the_definition_in_value_and_gradient(length: int) -> None:
    torch.manual_seed(length)
    attention = RelativeSelfAttention(channels=12, n_heads=3, window_size=4, dropout=0.0)
    hidden = torch.randn(2, 12, length, requires_grad=True)
    lengths = torch.tensor([length, max(1, length - 2)])
    valid = torch.arange(length)[None, :] < lengths[:, None]
    mask = (valid[:, None, :, None] & valid[:, None, None, :]).float()

    fast = attention(hidden, mask)
    reference = attention_by_definition(attention, hidden, mask)
    assert torch.allclose(fast, reference, atol=1e-5)

    (fast_grad,) = torch.autograd.grad(fast.square().sum(), attention.relative_keys, retain_graph=True)
    (reference_grad,) = torch.autograd.grad(reference.square().sum(), attention.relative_keys)
    assert torch.allclose(fast_grad, reference_grad, atol=1e-4)
    (fast_grad,) = torch.autograd.grad(attention(hidden, mask).square().sum(), attention.relative_values)
    (reference_grad,) = torch.autograd.grad(attention_by_definition(attention, hidden, mask).square().sum(), attention.relative_values)
    assert torch.allclose(fast_grad, reference_grad, atol=1e-4)
