"""The model's dropout and channel LayerNorm: the same results as torch's, in the layout the next layers want."""

import pytest
import torch
import torch.nn.functional as F

from polyvox.models.dropout import Dropout
from polyvox.models.layers import LayerNorm


@pytest.mark.parametrize("p", [0.1, 0.5])
def test_dropout_keeps_one_minus_p_and_preserves_the_mean(p):
    torch.manual_seed(0)
    dropout = Dropout(p).train()
    ones = torch.ones(400_000)
    out = dropout(ones)
    kept = out != 0
    # 400k Bernoulli draws: the kept fraction's standard error is <= 0.0008, so 0.004 is five of them.
    assert abs(kept.float().mean().item() - (1 - p)) < 0.004
    torch.testing.assert_close(out[kept], torch.full_like(out[kept], 1 / (1 - p)))
    assert abs(out.mean().item() - 1.0) < 0.01
    # Neighbouring elements (two halves of one 32-bit draw) are independent: both kept as often as p(keep)^2.
    pairs = kept[0::2] & kept[1::2]
    assert abs(pairs.float().mean().item() - (1 - p) ** 2) < 0.005


def test_dropout_draws_fresh_masks_and_routes_gradients_through_them():
    torch.manual_seed(1)
    dropout = Dropout(0.3).train()
    hidden = torch.randn(4, 8, 33, requires_grad=True)  # odd element count: the last 32-bit draw is half used
    first, second = dropout(hidden), dropout(hidden)
    assert not torch.equal(first != 0, second != 0)
    first.sum().backward()
    expected = (first != 0).float() / 0.7
    torch.testing.assert_close(hidden.grad, expected)


def test_dropout_is_the_identity_in_eval_and_at_zero():
    hidden = torch.randn(3, 5)
    assert Dropout(0.5).eval()(hidden) is hidden
    assert Dropout(0.0).train()(hidden) is hidden
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        Dropout(1.0)


def test_dropout_keeps_bfloat16():
    out = Dropout(0.2).train()(torch.ones(64, dtype=torch.bfloat16))
    assert out.dtype == torch.bfloat16


def test_layer_norm_normalises_channels_and_returns_a_contiguous_tensor():
    torch.manual_seed(2)
    norm = LayerNorm(6)
    with torch.no_grad():
        norm.weight.uniform_(0.5, 1.5)
        norm.bias.uniform_(-0.5, 0.5)
    hidden = torch.randn(2, 6, 11)
    out = norm(hidden)
    expected = F.layer_norm(hidden.transpose(1, 2), (6,), norm.weight, norm.bias).transpose(1, 2)
    torch.testing.assert_close(out, expected)
    # Channels-first in memory too, so the element-wise ops and convolutions after it take torch's fast paths.
    assert out.is_contiguous()
