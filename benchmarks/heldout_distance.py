"""Is a voice speaking *these* sentences? Held-out sentences (espeak-ng references, new seed, never in
the training corpus) are synthesised; each output's DTW mel distance to its own reference is compared
with its distance to another sentence's reference. A voice that only babbles is no closer to its own.

    python benchmarks/heldout_distance.py [--voice V] [--train-manifest M] [--per-language 4]

Prints a table per language and writes benchmarks/results/heldout_distance.json.
(`polyvox evaluate`, with MCD and F0 metrics, is issue #4; this is the quick check used so far.)
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
import torch

from polyvox.audio.features import MelSpectrogram
from polyvox.audio.io import load_audio
from polyvox.cli import DEFAULT_VOICE
from polyvox.data.corpus import generate_corpus
from polyvox.data.manifest import read_manifest
from polyvox.inference.voice import Voice

HELD_OUT_SEED = 777


def dtw_distance(first: np.ndarray, second: np.ndarray) -> float:
    """Mean L1 between log-mel frames along the best monotone alignment, normalised by path length."""
    cost = np.abs(first[:, None, :] - second[None, :, :]).mean(-1)
    rows, cols = cost.shape
    accumulated = np.full((rows + 1, cols + 1), np.inf)
    accumulated[0, 0] = 0.0
    for row in range(1, rows + 1):
        for col in range(1, cols + 1):
            accumulated[row, col] = cost[row - 1, col - 1] + min(
                accumulated[row - 1, col], accumulated[row, col - 1], accumulated[row - 1, col - 1]
            )
    return float(accumulated[rows, cols] / (rows + cols))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--voice", type=Path, default=DEFAULT_VOICE)
    parser.add_argument("--train-manifest", type=Path, help="exclude sentences that occur in this manifest")
    parser.add_argument("--per-language", type=int, default=4)
    parser.add_argument("--output", type=Path, default=Path(__file__).parent / "results" / "heldout_distance.json")
    arguments = parser.parse_args()
    torch.set_num_threads(1)
    voice = Voice.load(arguments.voice)
    seen = {u.text for u in read_manifest(arguments.train_manifest)} if arguments.train_manifest else set()
    mel = MelSpectrogram(voice.metadata.config.audio)

    def log_mel(samples: np.ndarray) -> np.ndarray:
        return mel(torch.from_numpy(samples).float().unsqueeze(0))[0].numpy().T

    results = {}
    with tempfile.TemporaryDirectory() as folder:
        generate_corpus(folder, voice.languages, 2, arguments.per_language, sample_rate=voice.sample_rate, seed=HELD_OUT_SEED, progress=False)
        held_out = [u for u in read_manifest(Path(folder) / "manifest.jsonl") if u.text not in seen]
        print(f"{'language':8} {'own':>6} {'other':>6} {'closest to own':>15} {'length ratio':>13}")
        for language in voice.languages:
            items = [u for u in held_out if u.language == language][: arguments.per_language]
            references = [log_mel(load_audio(u.audio, voice.sample_rate)) for u in items]
            outputs = [
                log_mel(voice.synthesize(u.text, language=language, speaker=u.speaker, noise_scale=0.3, seed=0).samples)
                for u in items
            ]
            own = [dtw_distance(o, r) for o, r in zip(outputs, references)]
            other = [dtw_distance(o, references[(i + 1) % len(references)]) for i, o in enumerate(outputs)]
            ratio = float(np.mean([len(o) / len(r) for o, r in zip(outputs, references)]))
            closest = sum(a < b for a, b in zip(own, other))
            results[language] = {"own": float(np.mean(own)), "other": float(np.mean(other)), "closest_to_own": closest,
                                 "count": len(items), "length_ratio": ratio}
            print(f"{language:8} {np.mean(own):6.3f} {np.mean(other):6.3f} {closest:>9}/{len(items):<5} {ratio:13.2f}")
    arguments.output.parent.mkdir(parents=True, exist_ok=True)
    arguments.output.write_text(json.dumps({"voice": str(arguments.voice), "steps": voice.metadata.info.get("steps"), "languages": results}, indent=1))


if __name__ == "__main__":
    main()
