"""``polyvox prepare`` streams its records through a store on disk (#23): the duplicate window, the report
file and the histograms give what holding every clip gave, and recordings finishing out of order change nothing."""

from __future__ import annotations

import bisect
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile

from polyvox.cli_support import DEFAULT_VOICE
from polyvox.prepare import PrepareSettings
from polyvox.prepare.duplicates import LENGTH_TOLERANCE, MIN_ENVELOPE_FRAMES, duplicates_in_order
from polyvox.prepare.histograms import BINS, write_histogram
from polyvox.prepare.pipeline import prepare_dataset
from polyvox.prepare.report import REPORT_FILE
from polyvox.prepare.report_file import _write_object
from polyvox.prepare.source_processing import ENVELOPE_FRAME_S
from polyvox.prepare.voice_target import voice_target
from prepare_helpers import WORK_RATE


def _every_pair(durations: list[float], envelopes: list[np.ndarray], min_correlation: float) -> dict[int, int]:
    """The duplicates as found before the window: each clip against every later clip of nearly its length, one pair at a time."""
    order = sorted(range(len(durations)), key=lambda index: durations[index])
    ordered = [durations[index] for index in order]
    duplicates: dict[int, int] = {}
    for position, first in enumerate(order):
        end = bisect.bisect_right(ordered, durations[first] * (1 + LENGTH_TOLERANCE) + ENVELOPE_FRAME_S, lo=position + 1)
        for second in order[position + 1 : end]:
            length = min(envelopes[first].size, envelopes[second].size)
            a, b = envelopes[first][:length].astype(np.float64), envelopes[second][:length].astype(np.float64)
            if length < MIN_ENVELOPE_FRAMES or a.std() == 0 or b.std() == 0 or np.corrcoef(a, b)[0, 1] < min_correlation:
                continue
            original, copy = sorted((first, second))
            duplicates.setdefault(copy, duplicates.get(original, original))
    return duplicates


def test_the_duplicate_window_finds_what_every_pair_finds() -> None:
    rng = np.random.default_rng(23)
    # Lengths on a coarse grid: many clips share a length, as generated sentences do.
    durations = list(np.round(rng.uniform(0.5, 4.0, 400), 1))
    envelopes = [rng.normal(-3, 1, int(d / ENVELOPE_FRAME_S)).astype(np.float32) for d in durations]
    envelopes[7] = np.full_like(envelopes[7], -4.0)  # flat: matches nothing
    for copy, original in ((400, 3), (401, 3), (402, 50), (403, 120)):
        durations.append(durations[original] * 1.01)
        envelopes.append((envelopes[original] + 0.5 + rng.normal(0, 0.01, envelopes[original].size)).astype(np.float32))
    order = sorted(range(len(durations)), key=lambda index: durations[index])
    found = duplicates_in_order(((index, durations[index]) for index in order), envelopes.__getitem__, 0.97)
    assert found == _every_pair(durations, envelopes, 0.97)
    assert {400: 3, 401: 3, 402: 50, 403: 120}.items() <= found.items()


def test_the_report_file_is_what_json_dumps_writes(tmp_path: Path) -> None:
    content = {"a": 1, "b": {"c": [1, {"d": "é\n"}], "e": {}}, "f": iter([{"g": [1, 2]}, 3, "x"]), "h": iter([]), "i": [], "j": None}
    path = tmp_path / "report.json"
    with open(path, "w", encoding="utf-8") as stream:
        _write_object(stream, content)
    expected = {**content, "f": [{"g": [1, 2]}, 3, "x"], "h": []}
    assert path.read_text(encoding="utf-8") == json.dumps(expected, ensure_ascii=False, indent=1)


def test_a_streamed_histogram_is_the_one_drawn_from_the_values(tmp_path: Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rng = np.random.default_rng(5)
    values = [(float(value), bool(kept)) for value, kept in zip(rng.gamma(3, 1, 500).round(3), rng.random(500) < 0.9)]
    streamed = write_histogram(tmp_path / "streamed.png", lambda: iter(values + [(None, True)]), "x", "t")
    figure = Figure(figsize=(7, 4))
    FigureCanvasAgg(figure)
    axis = figure.add_subplot()
    kept = [value for value, keep in values if keep]
    dropped = [value for value, keep in values if not keep]
    axis.hist([kept, dropped], bins=BINS, stacked=True, label=["in the manifest", "dropped"], color=["tab:blue", "tab:red"])
    axis.legend()
    axis.set_xlabel("x")
    axis.set_ylabel("clips")
    axis.set_title("t")
    figure.tight_layout()
    figure.savefig(tmp_path / "direct.png", format="png", dpi=100)
    assert streamed.read_bytes() == (tmp_path / "direct.png").read_bytes()


def _voiced(seconds: float, pitch_hz: float, syllables_per_s: float) -> np.ndarray:
    """A buzz with harmonics, its loudness rising and falling at a syllable rate: speech to the voice-activity
    detector, made without espeak (whose audio depends on what it spoke before, and other tests' on it)."""
    time = np.arange(int(seconds * WORK_RATE)) / WORK_RATE
    phase = 2 * np.pi * np.cumsum(pitch_hz + 10 * np.sin(2 * np.pi * 0.7 * time)) / WORK_RATE
    harmonics = sum(np.sin(k * phase) / k for k in range(1, 12))
    return (0.1 * harmonics * (1 - np.cos(2 * np.pi * syllables_per_s * time))).astype(np.float32)


def test_recordings_finishing_out_of_order_change_nothing(tmp_path: Path) -> None:
    texts = ["The road is very clean.", "A small dog ran home.", "Why is the house so big?", "We saw three red birds.", "She reads a good book.", "They walk to school."]
    root = tmp_path / "clips"
    root.mkdir()
    pad = np.zeros(WORK_RATE // 4, dtype=np.float32)
    for index, text in enumerate(texts):
        soundfile.write(str(root / f"s{index}.wav"), np.concatenate([pad, _voiced(1.5 + 0.2 * index, 120 + 20 * index, 3.5 + 0.3 * index), pad]), WORK_RATE)
        (root / f"s{index}.txt").write_text(text)
    shutil.copy(root / "s1.wav", root / "s9.wav")  # a duplicate, found whatever order recordings finish in
    (root / "s9.txt").write_text(texts[1])
    target, out = voice_target(DEFAULT_VOICE), tmp_path / "out"
    written = []
    for workers in (1, 2):
        shutil.rmtree(out, ignore_errors=True)
        report = prepare_dataset(root, out, target, PrepareSettings(workers=workers, parallel_min_audio_s=0.0), speaker="ann", progress=False)
        content = json.loads((out / REPORT_FILE).read_text(encoding="utf-8"))
        content.pop("settings")
        written.append(((out / "manifest.jsonl").read_text(encoding="utf-8"), content, report.summary(), report.clips))
    assert written[0] == written[1]
    assert [reason["reason"] for reason in written[0][3][-1].reasons] == ["duplicate audio"]


def _stored_run(folder: Path, clips: int) -> int:
    """The passes after processing (checks, outcomes, manifest, report) over ``clips`` stored clips; their traced peak in bytes."""
    import tracemalloc

    from polyvox.config import TrainingConfig
    from polyvox.data.manifest import write_manifest
    from polyvox.prepare.clip_store import ClipStore
    from polyvox.prepare.inputs import SourceRecording
    from polyvox.prepare.outcomes import new_utterances, record_outcomes
    from polyvox.prepare.report import PrepareReport
    from polyvox.prepare.report_file import write_report
    from polyvox.prepare.source_processing import ClipRecord, SourceResult
    from polyvox.prepare.stored_checks import check_stored_clips
    from polyvox.text import TextFrontend

    texts = ["The road is very clean.", "A small dog ran home.", "Why is the house so big?", "We saw three red birds."]
    rng = np.random.default_rng(clips)
    store = ClipStore(folder / "run.sqlite")
    for index in range(clips):
        duration = float(rng.uniform(1.0, 4.0))
        audio = str(folder / f"wavs/clip{index:06d}.wav")
        envelope = rng.normal(-3, 1, int(duration / ENVELOPE_FRAME_S)).astype(np.float32)
        clip = ClipRecord(audio, audio, f"s{index % 3}", "en", texts[index % 4], 0.0, duration, duration, 30.0, 0.0, envelope)
        store.add(index, SourceResult(SourceRecording(audio, clip.speaker, "en", clip.text), (clip,), {"resampled": "44100 -> 22050 Hz"}))
    frontend, settings = TextFrontend(["en"]), PrepareSettings()
    tracemalloc.start()
    check_stored_clips(store, frontend, settings, TrainingConfig(), None)
    report = PrepareReport("in", str(folder / "manifest.jsonl"), "drop", {}, clips, 0, store.path)
    for recording in store.recordings():
        report.add_recording(recording.steps, recording.problem)
    record_outcomes(store, report, "drop")
    write_manifest(folder / "manifest.jsonl", new_utterances(store))
    write_report(report, store, folder)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    store.close()
    return peak


def test_checking_and_reporting_hold_no_record_per_clip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    from polyvox.prepare import histograms, report_file

    # The histograms' values are counted, not drawn: matplotlib's caches grow with the tick labels it has drawn.
    monkeypatch.setattr(report_file, "write_histogram", lambda path, values, label, title: (histograms._counts(values), path)[1])
    for clips in (100, 300):  # warm-up: imports, espeak, matplotlib
        _stored_run(tmp_path / f"warm{clips}", clips)
    # Frequent collections: the peak is then what is held, not garbage (the json encoder's cycles) awaiting collection.
    thresholds = gc.get_threshold()
    gc.set_threshold(50, 5, 5)
    try:
        few, many = _stored_run(tmp_path / "few", 1000), _stored_run(tmp_path / "many", 3000)
    finally:
        gc.set_threshold(*thresholds)
    # Held records grew 1.5-5 KB a clip: 2,000 clips more would be 3-10 MB more.
    assert many - few < 300_000, (few, many)
