"""Resampling a signal that arrives in blocks, with soxr's streaming resampler: the same samples as
``polyvox.audio.io.resample`` on the whole signal, with memory for one block."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import numpy as np

from polyvox.audio.io import RESAMPLE_QUALITY


def resampled_blocks(blocks: Iterable[np.ndarray], source_rate: int, target_rate: int) -> Iterator[np.ndarray]:
    """Mono float32 blocks at ``target_rate`` from mono blocks at ``source_rate`` (passed through when equal)."""
    if source_rate == target_rate:
        yield from (np.ascontiguousarray(block, dtype=np.float32) for block in blocks)
        return
    import soxr

    stream = soxr.ResampleStream(source_rate, target_rate, 1, dtype="float32", quality=RESAMPLE_QUALITY)
    for block in blocks:
        resampled = stream.resample_chunk(np.ascontiguousarray(block, dtype=np.float32), last=False)
        if resampled.size:
            yield resampled
    # The filter's delay: the last samples come out only when the stream is told it has ended.
    tail = stream.resample_chunk(np.zeros(0, dtype=np.float32), last=True)
    if tail.size:
        yield tail
