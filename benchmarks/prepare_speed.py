"""``polyvox prepare`` speed: audio seconds prepared per wall-clock second, one worker against two,
and a re-run served from the cache.

Generates ``--files`` long recordings (espeak-ng sentences joined by pauses, noise added, 44.1 kHz
stereo) with one-sentence-per-line transcripts, prepares them into fresh folders with one and with
two workers, then again into the two-worker folder (everything cached). Prints real-time factors
and ratios and writes JSON to benchmarks/results/prepare_speed.json.

    python benchmarks/prepare_speed.py               # 4 recordings of 24 sentences
    python benchmarks/prepare_speed.py --files 2     # quicker
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import soundfile

from polyvox.cli_support import DEFAULT_VOICE
from polyvox.data.corpus.espeak_engine import EspeakEngine
from polyvox.files import atomic_path
from polyvox.prepare import PrepareSettings
from polyvox.prepare.pipeline import prepare_dataset
from polyvox.prepare.voice_target import voice_target

sys.path.insert(0, str(Path(__file__).parents[1] / "tests"))
from prepare_helpers import write_long_recording  # noqa: E402

RESULTS = Path(__file__).parent / "results" / "prepare_speed.json"


def timed(source: Path, out: Path, workers: int) -> tuple[float, int]:
    start = time.perf_counter()
    # parallel_min_audio_s=0: start the workers whatever the amount of audio, to measure them.
    settings = PrepareSettings(workers=workers, parallel_min_audio_s=0.0)
    report = prepare_dataset(source, out, voice_target(DEFAULT_VOICE), settings, progress=False)
    return time.perf_counter() - start, len(report.clips)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=4)
    parser.add_argument("--sentences", type=int, default=24)
    arguments = parser.parse_args()
    engine = EspeakEngine()
    with tempfile.TemporaryDirectory() as temporary:
        root = Path(temporary)
        source = root / "recordings"
        source.mkdir()
        sentences = 0
        for index in range(arguments.files):
            recording = write_long_recording(engine, source / f"talk{index}.wav", count=arguments.sentences, seed=index)
            (source / f"talk{index}.txt").write_text("\n".join(recording.sentences))
            sentences += len(recording.sentences)
        audio_s = sum(soundfile.info(str(path)).duration for path in source.glob("*.wav"))
        one_s, clips_one = timed(source, root / "one", 1)
        two_s, clips_two = timed(source, root / "two", 2)
        cached_s, _ = timed(source, root / "two", 2)
    results = {
        "recordings": arguments.files,
        "audio_s": round(audio_s, 1),
        "sentences": sentences,
        "clips": [clips_one, clips_two],
        "one_worker_s": round(one_s, 2),
        "two_workers_s": round(two_s, 2),
        "cached_rerun_s": round(cached_s, 2),
        "real_time_factor_one_worker": round(audio_s / one_s, 1),
        "real_time_factor_two_workers": round(audio_s / two_s, 1),
        "speedup_two_workers": round(one_s / two_s, 2),
        "speedup_cached_rerun": round(two_s / cached_s, 1),
    }
    for name, value in results.items():
        print(f"{name:>30}: {value}")
    with atomic_path(RESULTS) as path:
        path.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
