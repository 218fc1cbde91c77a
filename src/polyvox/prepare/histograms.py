"""Histograms of clip length and speaking rate, kept and dropped clips stacked, written as PNG."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from polyvox.files import atomic_path

BINS = 30


def write_histogram(
    path: Path, kept: Sequence[float], dropped: Sequence[float], label: str, title: str
) -> Path:
    # The object API (no pyplot) draws with Agg and leaves matplotlib's global backend alone.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7, 4))
    FigureCanvasAgg(figure)
    axis = figure.add_subplot()
    values = [list(kept), list(dropped)]
    if any(values):
        axis.hist(values, bins=BINS, stacked=True, label=["in the manifest", "dropped"], color=["tab:blue", "tab:red"])
        axis.legend()
    axis.set_xlabel(label)
    axis.set_ylabel("clips")
    axis.set_title(title)
    figure.tight_layout()
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png", dpi=100)
    return path
