"""Figures for TensorBoard and reports (matplotlib imported only when a figure is drawn)."""

from __future__ import annotations

from typing import Any

from torch import Tensor


def mel_figure(synthesized: Tensor, recording: Tensor) -> Any:
    """Two stacked log-mel images, (n_mels, frames) each."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(2, 1, figsize=(10, 5))
    for axis, mel, title in zip(axes, (synthesized, recording), ("synthesized", "recording")):
        axis.imshow(mel.numpy(), origin="lower", aspect="auto", interpolation="none")
        axis.set_title(title)
        axis.set_ylabel("mel bin")
    axes[-1].set_xlabel("frame")
    figure.tight_layout()
    return figure


def alignment_figure(path: Tensor) -> Any:
    """Hard alignment (text_len, frames) as an image."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(8, 4))
    axis.imshow(path.numpy(), origin="lower", aspect="auto", interpolation="none")
    axis.set_xlabel("frame")
    axis.set_ylabel("token")
    figure.tight_layout()
    return figure
