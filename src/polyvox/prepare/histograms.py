"""Histograms of clip length and speaking rate, kept and dropped clips stacked, written as PNG.

The values stream past twice (their range, then the counts per bin), so a corpus of any size is drawn
without holding them; the picture is the one matplotlib draws from the values themselves."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import islice
from pathlib import Path

import numpy as np

from polyvox.files import atomic_path

BINS = 30
# Values counted per numpy call.
_CHUNK = 1024

# (value or None when the clip has none, whether the clip is in the manifest)
Values = Callable[[], Iterable[tuple[float | None, bool]]]


def write_histogram(path: Path, values: Values, label: str, title: str) -> Path:
    # The object API (no pyplot) draws with Agg and leaves matplotlib's global backend alone.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 4))
    FigureCanvasAgg(figure)
    axis = figure.add_subplot()
    counted = _counts(values)
    if counted is not None:
        edges, kept, dropped = counted
        # Each bin's left edge, weighted by its count, falls in that bin: matplotlib draws the same bars.
        axis.hist(
            [edges[:-1], edges[:-1]], bins=edges, weights=[kept, dropped], stacked=True,
            label=["in the manifest", "dropped"], color=["tab:blue", "tab:red"],
        )
        axis.legend()
    axis.set_xlabel(label)
    axis.set_ylabel("clips")
    axis.set_title(title)
    figure.tight_layout()
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png", dpi=100)
    return path


def _counts(values: Values) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The bin edges matplotlib would choose (``BINS`` equal bins over the values' range) and the kept and
    dropped clips' counts per bin; None when there is no value."""
    low, high = np.inf, -np.inf
    for value, _ in values():
        if value is not None:
            low, high = min(low, value), max(high, value)
    if low > high:
        return None
    edges = np.histogram_bin_edges(np.array([low, high]), BINS, (low, high))
    kept, dropped = np.zeros(BINS, dtype=np.int64), np.zeros(BINS, dtype=np.int64)
    stream = ((value, in_manifest) for value, in_manifest in values() if value is not None)
    while chunk := list(islice(stream, _CHUNK)):
        numbers = np.array([value for value, _ in chunk], dtype=np.float64)
        chosen = np.array([in_manifest for _, in_manifest in chunk], dtype=bool)
        kept += np.histogram(numbers[chosen], edges)[0]
        dropped += np.histogram(numbers[~chosen], edges)[0]
    return edges, kept, dropped
