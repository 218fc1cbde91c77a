"""Float32 islands inside bfloat16 mixed-precision training (``training.precision = "bf16-mixed"``).

Autocast runs every convolution and matrix product in bfloat16 (8 bits of mantissa). That is fine for
the networks' layers, but not for sums whose size or exactness matters: the alignment likelihood adds
hundreds of channels, the duration predictors' spline flows take logs and divisions of their outputs,
the mel spectrogram of the loss and the decoder's inverse STFT are fixed transforms. Those run here,
in float32, whatever the surrounding autocast says; outside autocast this changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import Tensor


@contextmanager
def float32_region(reference: Tensor) -> Iterator[None]:
    """Turn autocast off on ``reference``'s device for the block (inputs are the caller's to ``.float()``)."""
    with torch.autocast(reference.device.type, enabled=False):
        yield
