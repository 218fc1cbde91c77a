"""Integrated loudness (ITU-R BS.1770-4, as pyloudnorm measures it) computed block by block, so an
hour-long recording needs memory for one chunk of it, not several float64 copies of the whole."""

from __future__ import annotations

import numpy as np

from polyvox.prepare.signal_file import Samples

# Samples K-weighted at a time.
CHUNK_S = 30.0
ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
_OFFSET = -0.691


def integrated_loudness(samples: Samples, rate: int) -> float:
    """Integrated gated loudness of mono ``samples`` in LUFS (-inf for silence); pyloudnorm's
    ``Meter(rate).integrated_loudness`` to floating-point rounding."""
    import pyloudnorm
    from scipy.signal import lfilter

    meter = pyloudnorm.Meter(rate)
    block_s, step = meter.block_size, 1.0 - meter.overlap
    count = int(np.round((samples.size / rate - block_s) / (block_s * step))) + 1
    indices = np.arange(count, dtype=np.float64)
    lower = (block_s * (indices * step) * rate).astype(np.int64)
    upper = np.minimum((block_s * (indices * step + 1) * rate).astype(np.int64), samples.size)
    filters = list(meter._filters.values())
    states = [np.zeros(max(len(stage.a), len(stage.b)) - 1) for stage in filters]
    powers = np.zeros(count)
    buffer, buffer_start, block = np.zeros(0), 0, 0
    chunk = int(CHUNK_S * rate)
    for start in range(0, samples.size, chunk):
        weighted = samples[start : start + chunk].astype(np.float64)
        for index, stage in enumerate(filters):
            weighted, states[index] = lfilter(stage.b, stage.a, weighted, zi=states[index])
            weighted *= stage.passband_gain
        buffer = np.concatenate([buffer, np.square(weighted)])
        end = start + weighted.size
        while block < count and (upper[block] <= end):
            powers[block] = buffer[lower[block] - buffer_start : upper[block] - buffer_start].sum() / (block_s * rate)
            block += 1
        keep_from = int(lower[block]) if block < count else end
        buffer, buffer_start = buffer[keep_from - buffer_start :], keep_from
    return _gated(powers)


def _gated(powers: np.ndarray) -> float:
    with np.errstate(divide="ignore", invalid="ignore"):
        levels = _OFFSET + 10.0 * np.log10(powers)
        absolute = powers[levels >= ABSOLUTE_GATE_LUFS]
        if absolute.size == 0:
            return float("-inf")
        relative_gate = _OFFSET + 10.0 * np.log10(absolute.mean()) + RELATIVE_GATE_LU
        gated = powers[(levels > relative_gate) & (levels > ABSOLUTE_GATE_LUFS)]
        mean = float(np.nan_to_num(gated.mean())) if gated.size else 0.0
        return float(_OFFSET + 10.0 * np.log10(mean)) if mean > 0 else float("-inf")
