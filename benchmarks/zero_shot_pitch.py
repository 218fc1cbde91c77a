"""Zero-shot cloning's pitch: does `polyvox say --reference` speak at the clip's pitch? (#18 item 4)

The user of `clone_fidelity.py` (a minute of Kokoro's jf_gongitsune speaking English, which no polyvox voice heard;
the same seeds, so the same clips and held-out candidates), with no fine-tune: the bundled voice as it ships (en_f3),
and the bundled voice with the minute's clips as `--reference`, its pitch following the clips (the default) and kept
(`--no-reference-pitch`). Each speaks the held-out sentences: Whisper base's CER, DNSMOS OVRL, median F0 and its
error against the recordings', MCD-DTW. Target (#18): the zero-shot path moves F0 and timbre toward the clip.

    python benchmarks/zero_shot_pitch.py        # about 5 minutes on 2 cores; the Kokoro clips are reused on a re-run

Writes benchmarks/results/zero_shot_pitch.{json,md}; works in benchmarks/results/clone_fidelity/ (shared clips).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from clone_fidelity import (
    DATA_SEED, HELD_OUT_SEED, LISTENER, RECORDINGS, START_SPEAKER, ZeroShotSource, show, source_figures, user_clips,
)
from default_voice_quality import load_recipe, training_sentences
from finetune_support import RESULTS, first_minutes, speakable, unseen, write_json, write_text

SYSTEMS = {
    RECORDINGS: "the speaker's held-out recordings",
    "bundled_start": "bundled voice as it ships (en_f3)",
    "zero_shot": "zero-shot: bundled voice, the clips as --reference (pitch follows them)",
    "zero_shot_kept_pitch": "zero-shot with --no-reference-pitch",
}


def report(figures: dict[str, dict[str, Any]], header: str) -> str:
    lines = [header, "", "| system | CER | DNSMOS OVRL | median F0 | frames voiced | F0 error | MCD-DTW |", "|---|---:|---:|---:|---:|---:|---:|"]
    for system, label in SYSTEMS.items():
        row = figures[system]
        f0 = "" if row["median_f0_hz"] is None else f"{row['median_f0_hz']:.0f} Hz"
        error = "" if system == RECORDINGS else show(row["median_f0_error"], 1, percent=True)
        mcd = "" if row["mcd_db"] is None else f"{row['mcd_db']:.2f} dB"
        voiced = show(row["voiced_share"]) if row["voiced_share"] is not None else ""
        lines.append(f"| {label} | {show(row['cer'], 3)} | {show(row['dnsmos_ovrl'])} | {f0} | {voiced} | {error} | {mcd} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", type=Path, default=RESULTS / "clone_fidelity")
    parser.add_argument("--voice", default="jf_gongitsune", help="the Kokoro voice serving as the user")
    parser.add_argument("--seconds", type=float, default=60.0, help="seconds of the user's speech given as reference clips")
    parser.add_argument("--held-out", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    arguments = parser.parse_args()
    import torch

    from polyvox.cli_support import DEFAULT_VOICE
    from polyvox.evaluation.sources import VoiceSource
    from polyvox.inference.voice import Voice
    from polyvox.speech_request import SpeechRequest

    torch.set_num_threads(arguments.threads)
    if not (LISTENER / "model.bin").is_file():
        raise SystemExit(f"no Whisper base at {LISTENER}: run benchmarks/listener.py once (it assembles it)")
    started = time.perf_counter()
    generated = user_clips(arguments.work / "corpus", arguments.voice, int(arguments.seconds / 2) + 6, DATA_SEED)
    data = first_minutes(generated, arguments.seconds)
    candidates = user_clips(arguments.work / "held_out_corpus", arguments.voice, arguments.held_out * 2 + 6, HELD_OUT_SEED)
    seen = {u.text for u in generated} | training_sentences(load_recipe(), None)
    recordings = unseen(speakable(candidates, [DEFAULT_VOICE]), seen, arguments.held_out)
    voice = Voice.load(DEFAULT_VOICE)
    references = [u.audio for u in data]
    sources = [
        VoiceSource(voice, "bundled_start", START_SPEAKER["bundled"], SpeechRequest(seed=arguments.seed)),
        ZeroShotSource(voice, "zero_shot", references, arguments.seed),
        ZeroShotSource(voice, "zero_shot_kept_pitch", references, arguments.seed, reference_pitch=False),
    ]
    figures = source_figures(recordings, sources)
    header = (
        f"Zero-shot pitch: {sum(u.duration for u in data):.0f} s ({len(data)} clips) of Kokoro {arguments.voice} speaking English "
        f"as reference clips, {len(recordings)} held-out sentences, seed {arguments.seed}, {arguments.threads} thread(s); "
        "`python benchmarks/zero_shot_pitch.py`."
    )
    markdown = report(figures, header)
    write_text(RESULTS / "zero_shot_pitch.md", markdown)
    write_json(RESULTS / "zero_shot_pitch.json", {
        "user": f"kokoro {arguments.voice} (en)", "data_seconds": sum(u.duration for u in data), "data_clips": len(data),
        "held_out_texts": [u.text for u in recordings], "seed": arguments.seed, "threads": arguments.threads,
        "figures": figures, "elapsed_s": time.perf_counter() - started,
    })
    print(markdown, flush=True)


if __name__ == "__main__":
    main()
