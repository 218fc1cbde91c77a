"""The listener benchmark's clips seen side by side: spectrograms of one sentence per system, and each system's frame
buzz (polyvox.evaluation.buzz) over all its clips.

Reads the audio `benchmarks/listener.py --part anchors` leaves in benchmarks/results/listener/audio (run that first).
Writes docs/images/listener_spectrograms.png and benchmarks/results/listener_spectrograms.json.

    python benchmarks/listener_spectrograms.py [--clip en_01]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import soundfile

from polyvox.evaluation.buzz import frame_rate_buzz

ROOT = Path(__file__).resolve().parent.parent
AUDIO = ROOT / "benchmarks" / "results" / "listener" / "audio"
SYSTEMS = ("polyvox", "piper-joe", "kokoro", "espeak-ng")
TOP_HZ = 4000  # where the harmonics of a voice's pitch are plainest


def buzz_by_system() -> dict[str, dict[str, float]]:
    """Mean frame buzz per system and clip group (the language, or harvard)."""
    table: dict[str, dict[str, float]] = {}
    for system in SYSTEMS:
        groups: dict[str, list[float]] = {}
        for path in sorted((AUDIO / system).glob("*.wav")):
            samples, rate = soundfile.read(path, dtype="float32")
            groups.setdefault(path.stem.split("_")[0], []).append(frame_rate_buzz(samples, rate))
        table[system] = {group: round(float(np.mean(values)), 3) for group, values in groups.items()}
    return table


def draw_spectrograms(
    panels: dict[str, np.ndarray], rate: int, output: Path, xlabel: str, top_hz: float = TOP_HZ, window: int = 1024,
    floor_db: float = -80,
) -> None:
    """One spectrogram per panel (title -> samples at ``rate``), up to ``top_hz``, each titled with its frame buzz."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from scipy.signal import stft

    figure, axes = plt.subplots(len(panels), 1, figsize=(11, 2.3 * len(panels)), squeeze=False)
    for axis, (title, samples) in zip(axes[:, 0], panels.items()):
        frequencies, times, spectrum = stft(samples, fs=rate, nperseg=window, noverlap=window * 3 // 4)
        level = 20 * np.log10(np.abs(spectrum) + 1e-6)
        low = frequencies <= top_hz
        axis.pcolormesh(times, frequencies[low], level[low] - level.max(), vmin=floor_db, vmax=0, shading="auto")
        axis.set_title(f"{title}: frame buzz {frame_rate_buzz(samples, rate):.2f}", fontsize=10)
        axis.set_ylabel("Hz")
    axes[-1, 0].set_xlabel(xlabel)
    figure.tight_layout()
    figure.savefig(output, dpi=80)
    plt.close(figure)


def draw(clip: str, output: Path) -> None:
    panels, rate = {}, 0
    for system in SYSTEMS:
        if (AUDIO / system / f"{clip}.wav").is_file():
            panels[system], rate = soundfile.read(AUDIO / system / f"{clip}.wav", dtype="float32")
    xlabel = f"seconds ({clip}; harmonics of the voice's pitch move with it, a frame-rate comb stays flat)"
    draw_spectrograms(panels, rate, output, xlabel)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clip", default="en_01", help="the clip's name in each system's folder (default en_01)")
    arguments = parser.parse_args()
    if not (AUDIO / "polyvox").is_dir():
        raise SystemExit(f"no listener audio in {AUDIO}: run python benchmarks/listener.py --part anchors first")
    image = ROOT / "docs" / "images" / "listener_spectrograms.png"
    draw(arguments.clip, image)
    table = buzz_by_system()
    for system, groups in table.items():
        print(system, " ".join(f"{group} {value:.3f}" for group, value in groups.items()))
    result = ROOT / "benchmarks" / "results" / "listener_spectrograms.json"
    result.write_text(json.dumps({"clip": arguments.clip, "frame_buzz": table}, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {image} and {result}")


if __name__ == "__main__":
    main()
