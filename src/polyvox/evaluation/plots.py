"""Report figures: per-language bars of every metric, and spectrograms of systems beside the recording.

matplotlib (Agg) and torch are imported when a figure is drawn. Figures are written atomically.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from polyvox.evaluation.aggregate import Summaries
from polyvox.evaluation.listener_report import COLUMNS, ListenerSummaries
from polyvox.evaluation.run import Example
from polyvox.files import atomic_path

# Metric -> axis label, in the order the bar chart shows them.
METRIC_LABELS = {
    "mcd_db": "MCD-DTW (dB)",
    "f0_rmse_hz": "F0 RMSE (Hz)",
    "f0_rmse_cents": "F0 RMSE (cents)",
    "voicing_error": "V/UV error (fraction)",
    "duration_ratio": "duration ratio (synth / ref)",
    "frame_buzz": "frame-rate buzz (above ref)",
}


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(figure: Any, path: Path) -> Path:
    with atomic_path(path) as temporary:
        figure.savefig(temporary, format="png", dpi=100)
    _pyplot().close(figure)
    return path


def metric_bars(by_language: Summaries, path: Path) -> Path:
    """One panel per metric: a group of bars per language, one bar per system, 95 % intervals as whiskers."""
    plt = _pyplot()
    systems = list(by_language)
    languages = list(dict.fromkeys(language for groups in by_language.values() for language in groups))
    # One panel per metric and one for the legend.
    columns = 4
    rows = math.ceil((len(METRIC_LABELS) + 1) / columns)
    figure, axes = plt.subplots(rows, columns, figsize=(4.3 * columns, 3.5 * rows))
    positions = np.arange(len(languages))
    width = 0.8 / max(len(systems), 1)
    for axis, (metric, label) in zip(axes.flat, METRIC_LABELS.items()):
        for offset, system in enumerate(systems):
            summaries = [by_language[system].get(language, {}).get(metric) for language in languages]
            means = np.array([s.mean if s is not None else math.nan for s in summaries])
            lows = np.array([s.mean - s.interval_low if s is not None else math.nan for s in summaries])
            highs = np.array([s.interval_high - s.mean if s is not None else math.nan for s in summaries])
            errors = np.nan_to_num(np.vstack([lows, highs]), nan=0.0)
            axis.bar(positions + (offset - (len(systems) - 1) / 2) * width, means, width, yerr=errors, capsize=2, label=system)
        if metric == "duration_ratio":
            axis.axhline(1.0, color="black", linewidth=0.8)
        axis.set_xticks(positions, languages)
        axis.set_title(label)
        if metric == "frame_buzz":
            axis.axhline(0.0, color="black", linewidth=0.8)
    for unused in axes.flat[len(METRIC_LABELS) :]:
        unused.axis("off")
    legend_axis = axes.flat[len(METRIC_LABELS)]
    handles, names = axes.flat[0].get_legend_handles_labels()
    legend_axis.legend(handles, names, loc="center", title="system (mean, 95 % interval)")
    figure.tight_layout()
    return _save(figure, path)


def listener_bars(by_language: ListenerSummaries, path: Path) -> Path:
    """One panel per listener figure (CER, WER, DNSMOS): bars per language, one per system, the recordings included."""
    plt = _pyplot()
    systems = list(by_language)
    languages = list(dict.fromkeys(language for groups in by_language.values() for language in groups))
    shown = [(heading, key) for heading, key in COLUMNS
             if any(not math.isnan(groups[language].cells()[key]) for groups in by_language.values() for language in groups)]
    figure, axes = plt.subplots(1, max(len(shown), 1), figsize=(4.3 * max(len(shown), 1), 3.5), squeeze=False)
    positions = np.arange(len(languages))
    width = 0.8 / max(len(systems), 1)
    for axis, (heading, key) in zip(axes[0], shown):
        for offset, system in enumerate(systems):
            values = [by_language[system][language].cells()[key] if language in by_language[system] else math.nan
                      for language in languages]
            axis.bar(positions + (offset - (len(systems) - 1) / 2) * width, values, width, label=system)
        axis.set_xticks(positions, languages)
        axis.set_title(heading + (" (pooled)" if key in ("cer", "wer") else " (mean)"))
    axes[0, 0].legend(fontsize=8)
    figure.tight_layout()
    return _save(figure, path)


def spectrograms(example: Example, sample_rate: int, path: Path) -> Path:
    """Log-mel images stacked on one time axis: the recording on top, then each system's clip."""
    import torch

    from polyvox.audio.features import MelSpectrogram
    from polyvox.config import AudioConfig

    plt = _pyplot()
    mel = MelSpectrogram(AudioConfig(sample_rate=sample_rate, mel_fmax=min(8000.0, sample_rate / 2)))
    clips = {"recording": example.recording, **example.synthesized}
    with torch.no_grad():
        images = {name: mel(torch.from_numpy(samples).float().unsqueeze(0))[0].numpy() for name, samples in clips.items()}
    longest = max(image.shape[1] for image in images.values())
    low = min(float(image.min()) for image in images.values())
    high = max(float(image.max()) for image in images.values())
    seconds_per_frame = mel.config.hop_length / sample_rate
    figure, axes = plt.subplots(len(images), 1, figsize=(10, 2.2 * len(images)), squeeze=False)
    for axis, (name, image) in zip(axes[:, 0], images.items()):
        axis.imshow(image, origin="lower", aspect="auto", interpolation="none", vmin=low, vmax=high,
                    extent=(0, image.shape[1] * seconds_per_frame, 0, image.shape[0]))
        axis.set_xlim(0, longest * seconds_per_frame)
        axis.set_title(f"{name} ({example.language}, {example.utterance_id})", fontsize=10)
        axis.set_ylabel("mel bin")
    axes[-1, 0].set_xlabel("time (s)")
    figure.tight_layout()
    return _save(figure, path)
