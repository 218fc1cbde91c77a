"""Where the ONNX engine's time goes: the share of the decoder graph, the encoder graph and the rest (text front end,
noise, joining), and within the decoder graph each top-level part's (the flow, each residual block, the up-sampling,
the inverse STFT), by onnxruntime's profiler, at one thread, on the Harvard sentences of benchmarks/listener.py.

    python benchmarks/onnx_profile.py [VOICE] [--sentences 15]

VOICE: a voice file (exported here first; default the bundled voice) or an export's ``.onnx``. Writes
benchmarks/results/onnx_profile.json.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from listener_sentences import HARVARD  # noqa: E402


def decoder_part(node_name: str) -> str:
    """``/decoder/resblocks.3/convs2.0/Conv`` -> ``decoder/resblocks.3``; ``/flow/...`` -> ``flow``."""
    parts = node_name.strip("/").split("/")
    if parts[0] == "decoder" and len(parts) > 2:
        return "/".join(parts[:2])
    if parts[0] == "decoder":
        return "decoder/" + parts[1].split("_")[0]  # a node of the decoder itself: its operator
    return parts[0] if len(parts) > 1 else "graph"


def main() -> None:
    import onnxruntime

    from polyvox.cli_support import DEFAULT_VOICE
    from polyvox.export.onnx_export import export_onnx
    from polyvox.inference.onnx_voice import OnnxVoice

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("voice", nargs="?", type=Path, default=DEFAULT_VOICE)
    parser.add_argument("--sentences", type=int, default=15)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        graph = arguments.voice
        if graph.suffix != ".onnx":
            graph = export_onnx(graph, Path(folder) / "voice.onnx").graph_paths["full"]
        plain_options = onnxruntime.SessionOptions

        class Profiling(plain_options):  # type: ignore[misc, valid-type]
            def __init__(self) -> None:
                super().__init__()
                self.enable_profiling = True
                self.profile_file_prefix = str(Path(folder) / "profile")

        onnxruntime.SessionOptions = Profiling  # the engine's sessions, built in load, profile every node
        try:
            voice = OnnxVoice.load(graph, threads=1)
        finally:
            onnxruntime.SessionOptions = plain_options
        voice.synthesize("Warm up.", language="en", seed=0)
        graph_seconds = {"encoder": 0.0, "decoder": 0.0}
        for name in graph_seconds:
            session = getattr(voice, name)
            run = session.run

            def timed(*args, _run=run, _name=name, **options):  # type: ignore[no-untyped-def]
                started = time.perf_counter()
                result = _run(*args, **options)
                graph_seconds[_name] += time.perf_counter() - started
                return result

            session.run = timed
        total = audio = 0.0
        for text in HARVARD[: arguments.sentences]:
            started = time.perf_counter()
            result = voice.synthesize(text, language="en", seed=0)
            total += time.perf_counter() - started
            audio += result.samples.size / voice.sample_rate
        events = json.loads(Path(voice.decoder.end_profiling()).read_text(encoding="utf-8"))
    parts: collections.Counter[str] = collections.Counter()
    for event in events:
        if event.get("cat") == "Node" and event["name"].endswith("_kernel_time"):
            parts[decoder_part(event["name"].removesuffix("_kernel_time"))] += event["dur"]
    node_total = sum(parts.values())
    document = {
        "voice": str(arguments.voice), "sentences": arguments.sentences, "rtf_one_thread": total / audio,
        "share_of_synthesis": {"decoder graph": graph_seconds["decoder"] / total, "encoder graph": graph_seconds["encoder"] / total,
                               "rest": 1 - sum(graph_seconds.values()) / total},
        # The warm-up's nodes are in the profile too: shares, not times.
        "decoder_graph_parts": {part: duration / node_total for part, duration in parts.most_common()},
    }
    out = ROOT / "benchmarks" / "results" / "onnx_profile.json"
    out.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    print(f"RTF {document['rtf_one_thread']:.4f};", ", ".join(f"{k} {v:.0%}" for k, v in document["share_of_synthesis"].items()))
    for part, share in list(document["decoder_graph_parts"].items())[:12]:
        print(f"  {part:32s} {share:.1%}")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
