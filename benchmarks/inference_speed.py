"""Inference speed on the CPU: real-time factor (synthesis time / audio duration) and peak memory.

For each preset (tiny, small, medium) and each decoder (HiFi-GAN, full-band iSTFTNet and the
four-band iSTFTNet the small and medium presets ship with), on 1 and 2 threads,
a generator with random weights (speed does not depend on the values) prepared as ``Voice.load``
prepares a voice, synthesises exactly 10 s of audio (fixed durations: 120 tokens, 862 frames):
text encoder, flow (reverse) and decoder. The median of several runs after warm-up is reported,
with the share of each stage. Each configuration runs in a fresh subprocess, so its peak resident
memory (``ru_maxrss``) is its own. The shipped default voice is also timed end to end (text ->
phonemes -> wav file) at one thread.

Targets (issue #4): RTF <= 0.02 for the small preset with its iSTFTNet decoder and <= 0.05 for the
medium preset, both on one thread at 22.05 kHz, in float32. Each preset's own decoder is also timed on
one thread in bfloat16 (``Voice.load(precision="bfloat16")``, ``polyvox say --precision``), where the
CPU has native bfloat16 instructions.

    python benchmarks/inference_speed.py             # all configurations, 7 timed runs each
    python benchmarks/inference_speed.py --quick     # 3 timed runs each

Prints a table with ratios against the targets; writes benchmarks/results/inference_speed.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results" / "inference_speed.json"
PRESETS = ("tiny", "small", "medium")
DECODERS = ("hifigan", "istft", "istft-4band")
THREADS = (1, 2)
# 10 s at 22.05 kHz with hop 256 is 861.3 frames: 862 frames make the audio exactly 862 * 256 samples.
TARGET_FRAMES = 862
TOKENS = 120
WARMUP_RUNS = 2
TARGETS = {("small", "istft-4band"): 0.02, ("medium", "istft-4band"): 0.05}
DEFAULT_VOICE_TEXT = (
    "The old lighthouse keeper climbed the stairs every evening at dusk. "
    "He lit the lamp, wound the clock, and wrote a short line in his book. "
    "Ships passed far out at sea, and none of them ever knew his name."
)


def decoder_overrides(decoder: str) -> dict[str, Any]:
    """The preset's decoder widths with the chosen head; each up-samples by 256 in all. HiFi-GAN: 8 * 8 * 4
    (as the tiny preset); iSTFTNet: 8 * 8 and an inverse
    STFT with hop 4; four-band iSTFTNet (the small and medium presets): 4 * 4, hop 4, four sub-bands."""
    if decoder == "hifigan":
        layout = {"type": "hifigan", "upsample_rates": [8, 8, 4], "upsample_kernel_sizes": [16, 16, 8], "subbands": 1}
    elif decoder == "istft":
        layout = {"type": "istft", "upsample_rates": [8, 8], "upsample_kernel_sizes": [16, 16], "istft_n_fft": 16, "istft_hop": 4, "subbands": 1}
    else:
        layout = {"type": "istft", "upsample_rates": [4, 4], "upsample_kernel_sizes": [8, 8], "istft_n_fft": 16, "istft_hop": 4, "subbands": 4}
    return {f"model.decoder.{key}": value for key, value in layout.items()}


PRECISION_NOTE = "decoder convolutions in bfloat16 (--precision bfloat16): same weights; distance from float32 in the default voice row"


def _maxrss_mib() -> float:
    # Linux reports kilobytes.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def measure_generator(preset_name: str, decoder: str, threads: int, runs: int, precision: str = "float32") -> dict[str, Any]:
    """In this (fresh) process: RTF and per-stage times of a random-weight generator."""
    import torch

    from polyvox.config import preset
    from polyvox.inference.speed import prepare_for_inference, set_decoder_precision
    from polyvox.models.vits import VitsGenerator
    from polyvox.synthesis_settings import STANDARD

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    config = preset(preset_name).replace(**decoder_overrides(decoder))
    generator = VitsGenerator(config.model, n_symbols=100, n_languages=1, n_mels=config.audio.n_mels, hop_length=config.audio.hop_length)
    parameters = sum(parameter.numel() for parameter in generator.parameters())
    prepare_for_inference(generator)
    if precision != "float32":
        set_decoder_precision(generator, precision)
    phoneme_ids = torch.randint(4, 100, (1, TOKENS))
    language_ids = torch.zeros(1, TOKENS, dtype=torch.long)
    lengths = torch.tensor([TOKENS])
    speaker_ids = torch.zeros(1, dtype=torch.long)
    durations = torch.full((1, TOKENS), TARGET_FRAMES // TOKENS)
    durations[0, : TARGET_FRAMES % TOKENS] += 1
    audio_s = TARGET_FRAMES * config.audio.hop_length / config.audio.sample_rate
    rss_before = _maxrss_mib()

    def run_once() -> dict[str, float]:
        noise = torch.Generator().manual_seed(0)
        started = time.perf_counter()
        prior = generator.encode_prior(phoneme_ids, language_ids, lengths, speaker_ids, durations=durations)
        latent = generator.sample_prior(prior, STANDARD.noise_scale, noise_generator=noise)
        encoded = time.perf_counter()
        with torch.inference_mode():
            flowed = generator.flow(latent, prior.frame_mask, prior.speaker, reverse=True)
            flow_done = time.perf_counter()
            waveform = generator.decoder(flowed * prior.frame_mask, prior.speaker)
        finished = time.perf_counter()
        if waveform.shape[-1] != TARGET_FRAMES * config.audio.hop_length:
            raise RuntimeError(f"expected {TARGET_FRAMES * config.audio.hop_length} samples, got {waveform.shape[-1]}")
        return {"total": finished - started, "text_and_prior": encoded - started, "flow": flow_done - encoded, "decoder": finished - flow_done}

    for _ in range(WARMUP_RUNS):
        run_once()
    timings = [run_once() for _ in range(runs)]
    total = statistics.median(t["total"] for t in timings)
    return {
        "preset": preset_name + (" +bf16" if precision == "bfloat16" else ""),
        "decoder": decoder,
        "note": PRECISION_NOTE if precision == "bfloat16" else "",
        "precision": precision,
        "threads": threads,
        "parameters_m": parameters / 1e6,
        "audio_s": audio_s,
        "median_s": total,
        "rtf": total / audio_s,
        "rtf_runs": [t["total"] / audio_s for t in timings],
        "share": {stage: statistics.median(t[stage] for t in timings) / total for stage in ("text_and_prior", "flow", "decoder")},
        "peak_rss_mib": _maxrss_mib(),
        "synthesis_rss_mib": _maxrss_mib() - rss_before,
    }


def measure_default_voice(threads: int, runs: int, precision: str = "float32") -> dict[str, Any]:
    """The shipped voice end to end: text -> phonemes -> waveform -> wav file."""
    import torch

    import numpy as np

    from polyvox.audio.io import save_audio
    from polyvox.cli_support import DEFAULT_VOICE
    from polyvox.inference.speed import set_decoder_precision
    from polyvox.inference.voice import Voice

    torch.set_num_threads(threads)
    load_started = time.perf_counter()
    voice = Voice.load(DEFAULT_VOICE, precision=precision)
    load_s = time.perf_counter() - load_started
    rss_before = _maxrss_mib()
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "speech.wav"

        def run_once() -> tuple[float, float]:
            started = time.perf_counter()
            result = voice.synthesize(DEFAULT_VOICE_TEXT, "en", seed=0)
            save_audio(target, result.samples, result.sample_rate)
            return time.perf_counter() - started, result.duration_s

        for _ in range(WARMUP_RUNS):
            run_once()
        measured = [run_once() for _ in range(runs)]
    total = statistics.median(seconds for seconds, _ in measured)
    audio_s = measured[0][1]
    peak_rss = _maxrss_mib()
    closeness = {}
    if precision != "float32":
        # How far this precision's audio is from float32's, same text and seed: signal-to-difference in dB.
        fast = voice.synthesize(DEFAULT_VOICE_TEXT, "en", seed=0).samples.astype(np.float64)
        set_decoder_precision(voice.generator, "float32")
        exact = voice.synthesize(DEFAULT_VOICE_TEXT, "en", seed=0).samples.astype(np.float64)
        closeness = {"db_from_float32": float(10 * np.log10(np.sum(exact**2) / np.sum((exact - fast) ** 2)))}
    return {
        "preset": "default voice" + (" +bf16" if precision == "bfloat16" else ""),
        "precision": precision,
        "decoder": voice.metadata.config.model.decoder.type,
        "threads": threads,
        "parameters_m": sum(p.numel() for p in voice.generator.parameters()) / 1e6,
        "audio_s": audio_s,
        "median_s": total,
        "rtf": total / audio_s,
        "rtf_runs": [seconds / audio_s for seconds, _ in measured],
        "load_s": load_s,
        "peak_rss_mib": peak_rss,
        "synthesis_rss_mib": peak_rss - rss_before,
        **closeness,
    }


def run_child(arguments: list[str], runs: int) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", *arguments, "--runs", str(runs)]
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"{' '.join(arguments)} failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def print_table(rows: list[dict[str, Any]]) -> None:
    print(f"{'config':<26}{'params':>8}{'threads':>8}{'RTF':>8}{'x realtime':>11}{'text':>7}{'flow':>7}{'dec':>7}{'peak MiB':>10}{'synth MiB':>10}")
    for row in rows:
        share = row.get("share", {})
        stages = "".join(f"{share[s] * 100:>6.0f}%" if s in share else f"{'':>7}" for s in ("text_and_prior", "flow", "decoder"))
        print(
            f"{row['preset'] + ' / ' + row['decoder']:<26}{row['parameters_m']:>7.1f}M{row['threads']:>8}{row['rtf']:>8.4f}"
            f"{1 / row['rtf']:>10.0f}x{stages}{row['peak_rss_mib']:>10.0f}{row['synthesis_rss_mib']:>10.0f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="3 timed runs per configuration instead of 7")
    parser.add_argument("--runs", type=int, default=None, help="timed runs per configuration")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--output", type=Path, default=RESULTS, help="where the JSON goes")
    arguments = parser.parse_args()
    runs = arguments.runs or (3 if arguments.quick else 7)
    if arguments.child:
        if arguments.child[0] == "default":
            result = measure_default_voice(int(arguments.child[1]), runs, *arguments.child[2:])
        else:
            preset_name, decoder, threads, *precision = arguments.child
            result = measure_generator(preset_name, decoder, int(threads), runs, *precision)
        print(json.dumps(result))
        return

    import torch

    from polyvox.files import atomic_path
    from polyvox.inference.speed import native_bfloat16

    rows = []
    for preset_name in PRESETS:
        for decoder in DECODERS:
            for threads in THREADS:
                rows.append(run_child([preset_name, decoder, str(threads)], runs))
                print(f"  {preset_name} / {decoder} / {threads} thread(s): RTF {rows[-1]['rtf']:.4f}", flush=True)
    native = native_bfloat16()
    for preset_name in PRESETS:
        if not native:
            print("  (no bfloat16 rows: this CPU has no native bfloat16 instructions)")
            break
        rows.append(run_child([preset_name, "istft-4band", "1", "bfloat16"], runs))
        print(f"  {preset_name} / istft-4band / 1 thread / bfloat16: RTF {rows[-1]['rtf']:.4f}", flush=True)
    rows.append(run_child(["default", "1"], runs))
    if native:
        rows.append(run_child(["default", "1", "bfloat16"], runs))
        print(f"  default voice / bfloat16: {rows[-1]['db_from_float32']:.1f} dB from float32 (signal to difference)", flush=True)
    print("\nAll configurations (random weights; 10.0 s of audio; median of", runs, "runs):")
    print_table(rows)
    print("\nTargets (1 thread):")
    checks = []
    for (preset_name, decoder), target in TARGETS.items():
        for row in rows:
            if row["preset"].split(" ")[0] != preset_name or row["decoder"] != decoder or row["threads"] != 1:
                continue
            verdict = "meets" if row["rtf"] <= target else "misses"
            print(
                f"  {preset_name} / {decoder} / {row['precision']}: RTF {row['rtf']:.4f} vs target {target} -> "
                f"{row['rtf'] / target:.2f}x the target ({verdict})"
            )
            checks.append({
                "preset": preset_name, "decoder": decoder, "precision": row["precision"], "target_rtf": target,
                "rtf": row["rtf"], "meets": row["rtf"] <= target,
            })
    for preset_name in PRESETS:
        pair = {r["decoder"]: r["rtf"] for r in rows if r["preset"] == preset_name and r["threads"] == 1}
        print(
            f"  {preset_name}, RTF at 1 thread: HiFi-GAN / iSTFTNet = {pair['hifigan'] / pair['istft']:.2f}x, "
            f"iSTFTNet / four-band iSTFTNet = {pair['istft'] / pair['istft-4band']:.2f}x"
        )
        fast = next((r for r in rows if r["preset"] == f"{preset_name} +bf16"), None)
        if fast is not None:
            print(f"  {preset_name} / istft-4band: float32 / bfloat16 RTF at 1 thread = {pair['istft-4band'] / fast['rtf']:.2f}x")
    report = {
        "machine": {"platform": platform.platform(), "processor": platform.processor(), "torch": torch.__version__},
        "note": "random weights (speed does not depend on them); the machine may have been shared with other work",
        "runs": runs,
        "rows": rows,
        "targets": checks,
    }
    arguments.output.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(arguments.output) as temporary:
        temporary.write_text(json.dumps(report, indent=1))
    print(f"\nwrote {arguments.output}")


if __name__ == "__main__":
    main()
