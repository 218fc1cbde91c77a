"""Peak memory of polyvox commands on a long recording (issue #24): ``prepare``, ``say --reference``
and ``train``'s data loading, each in its own process; with ``--long-text``, also the wall time and
peak memory of ``say -f`` on that many characters of English.

The recording is quiet noise (-60 dBFS) with one espeak-ng sentence every ``--speech-every`` seconds,
44.1 kHz stereo 16-bit, so prepare down-mixes, resamples, and finds a few clips. Peak memory is the
child's own ``ru_maxrss`` (``os.wait4``). Prints a table and writes
benchmarks/results/long_audio_memory.json and .md.

    python benchmarks/long_audio_memory.py --minutes 5      # a quick check
    python benchmarks/long_audio_memory.py                  # 120 minutes, as in the issue
    python benchmarks/long_audio_memory.py --long-text 20000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import soundfile

from polyvox.data.corpus.espeak_engine import EspeakEngine
from polyvox.data.corpus.sentences import SentenceGenerator, grammar_for
from polyvox.data.manifest import Utterance, write_manifest
from polyvox.files import atomic_path

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
from prepare_helpers import WORK_RATE, spoken_sentences  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "long_audio_memory.json"
RATE = 44100
NOISE_RMS = 0.001  # -60 dBFS
SPEECH_PEAK = 0.5
WRITE_BLOCK_S = 60
# The figures issue #24 reported for a 2-hour silent WAV, in MB.
ISSUE_MB = {"prepare": 4600, "say --reference": 2200, "train data loading": 2400}
# The console script of the environment this runs in.
POLYVOX = [str(Path(sys.executable).parent / "polyvox")]


@dataclass(frozen=True)
class Measurement:
    command: str
    peak_mb: float
    wall_s: float
    exit_status: int
    last_line: str


def measure(command: list[str], log: Path) -> Measurement:
    """Run ``command`` and read its own peak resident memory from ``wait4``."""
    start = time.perf_counter()
    with log.open("wb") as output:
        child = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)  # already reaped: keep Popen from waiting again
    wall = time.perf_counter() - start
    lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    printed = " ".join(Path(part).name if os.sep in part else part for part in command[1:])
    return Measurement(f"polyvox {printed}", round(usage.ru_maxrss / 1024, 1), round(wall, 1), child.returncode, lines[-1].split("\r")[-1][-200:] if lines else "")


def write_recording(path: Path, minutes: float, speech_every_s: float, engine: EspeakEngine) -> list[str]:
    """Quiet noise with a sentence at the start of every ``speech_every_s``; the sentences, in order."""
    count = max(1, int(minutes * 60 // speech_every_s))
    sentences, audio = spoken_sentences(engine, "en", count, seed=7)
    random = np.random.default_rng(0)
    total = int(minutes * 60 * RATE)
    every = int(speech_every_s * RATE)
    with soundfile.SoundFile(str(path), "w", RATE, 2, "PCM_16") as sink:
        for start in range(0, total, WRITE_BLOCK_S * RATE):
            block = random.normal(0.0, NOISE_RMS, min(WRITE_BLOCK_S * RATE, total - start)).astype(np.float32)
            for index, speech in enumerate(audio):
                at = index * every + RATE - start  # one second into each stretch
                loud = _at_rate(speech * (SPEECH_PEAK / np.abs(speech).max()))
                first, last = max(at, 0), min(at + loud.size, block.size)
                if first < last:
                    block[first:last] += loud[first - at : last - at]
            sink.write(np.stack([block, 0.9 * block], axis=1))
    return sentences


def _at_rate(samples: np.ndarray) -> np.ndarray:
    from polyvox.audio.io import resample

    return resample(samples.astype(np.float32), WORK_RATE, RATE)


def english_text(characters: int) -> str:
    """Generated English sentences, a paragraph of ten per line, ``characters`` long at least."""
    generator = SentenceGenerator(grammar_for("en"), 11)
    sentences: list[str] = []
    while sum(len(sentence) + 1 for sentence in sentences) < characters:
        sentences += generator.sentences(100)
    text, length = [], 0
    for sentence in sentences:
        if length >= characters:
            break
        text.append(sentence)
        length += len(sentence) + 1
    return "\n".join(" ".join(text[start : start + 10]) for start in range(0, len(text), 10))


def prepared_clips(folder: Path) -> dict[str, int]:
    """How many clips prepare wrote and kept, from its report (whether it found the sentences)."""
    report_file = folder / "prepare_report.json"
    if not report_file.exists():
        return {}
    report = json.loads(report_file.read_text(encoding="utf-8"))
    return {"clips_written": report["clips_written"], "clips_in_manifest": report["clips_in_manifest"]}


def run_audio(work: Path, minutes: float, speech_every_s: float) -> dict[str, Measurement]:
    recording = work / "long.wav"
    sentences = write_recording(recording, minutes, speech_every_s, EspeakEngine())
    transcript = work / "long.txt"
    transcript.write_text("\n".join(sentences), encoding="utf-8")
    manifest = work / "train.jsonl"
    duration = soundfile.info(str(recording)).duration
    write_manifest(manifest, [Utterance(str(recording), sentences[0], "speaker", "en", duration)])
    return {
        "prepare": measure([*POLYVOX, "prepare", str(recording), "--transcript", str(transcript), "-o", str(work / "prepared")], work / "prepare.log"),
        "say --reference": measure(
            [*POLYVOX, "say", "The reference sets the voice.", "--reference", str(recording), "-o", str(work / "said.wav")], work / "say.log"
        ),
        # The manifest holds only the long recording: train reads the data, refuses the clip (from its
        # header: longer than training.max_clip_s) and stops with status 1.
        "train data loading": measure(
            [*POLYVOX, "train", "--data", str(manifest), "-o", str(work / "run"), "--preset", "tiny", "--max-steps", "1"], work / "train.log"
        ),
    }


def run_long_text(work: Path, characters: int) -> tuple[Measurement, float]:
    text_file = work / "big.txt"
    text_file.write_text(english_text(characters), encoding="utf-8")
    out = work / "big.wav"
    result = measure([*POLYVOX, "say", "-f", str(text_file), "-o", str(out)], work / "long_text.log")
    audio_s = soundfile.info(str(out)).duration if out.exists() else 0.0
    return result, audio_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=120.0, help="length of the recording")
    parser.add_argument("--speech-every", type=float, default=300.0, help="seconds between the sentences")
    parser.add_argument("--long-text", type=int, default=0, help="also time say -f on this many characters")
    parser.add_argument("--skip-audio", action="store_true", help="only the --long-text part")
    parser.add_argument("--name", default="long_audio_memory", help="results file name")
    parser.add_argument("--work", help="keep the recording and outputs in this folder (default: a temporary one, removed)")
    arguments = parser.parse_args()
    results: dict[str, object] = {"minutes": arguments.minutes, "rate": RATE, "channels": 2}
    rows: list[tuple[str, Measurement, str]] = []
    notes = ""
    with tempfile.TemporaryDirectory() as temporary:
        work = Path(arguments.work or temporary)
        work.mkdir(parents=True, exist_ok=True)
        if not arguments.skip_audio:
            audio = run_audio(work, arguments.minutes, arguments.speech_every)
            results["audio"] = {name: asdict(result) for name, result in audio.items()}
            results["prepare_clips"] = prepared_clips(work / "prepared")
            rows += [(name, result, f"{ISSUE_MB[name]:,} MB" if arguments.minutes == 120 else "") for name, result in audio.items()]
        if arguments.long_text:
            said, audio_s = run_long_text(work, arguments.long_text)
            per_character = said.wall_s / arguments.long_text
            results["long_text"] = {
                **asdict(said),
                "characters": arguments.long_text,
                "audio_s": round(audio_s, 1),
                "seconds_per_1000_characters": round(1000 * per_character, 2),
                "estimated_200000_characters_s": round(200_000 * per_character),
            }
            rows.append((f"say -f ({arguments.long_text:,} characters)", said, ""))
            notes = f"\n\n200,000 characters at the same rate: about {200_000 * per_character / 60:.0f} minutes (estimated, not run)."
    table = _table(rows) + notes
    print(table)
    out = RESULTS.with_name(f"{arguments.name}.json")
    with atomic_path(out) as path:
        path.write_text(json.dumps(results, indent=1))
    with atomic_path(out.with_suffix(".md")) as path:
        path.write_text(f"# Peak memory, {arguments.minutes:g}-minute recording (44.1 kHz stereo)\n\n`python benchmarks/long_audio_memory.py {' '.join(sys.argv[1:])}`\n\n{table}\n")


def _table(rows: list[tuple[str, Measurement, str]]) -> str:
    lines = ["| part | peak memory | wall time | exit | issue #24 | last line |", "|---|---|---|---|---|---|"]
    for name, result, issue in rows:
        last = result.last_line[:100].replace("|", "/")
        lines.append(f"| {name} | {result.peak_mb:,.0f} MB | {result.wall_s:.1f} s | {result.exit_status} | {issue} | {last} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
