"""Bad clips in a manifest are skipped and listed with their reason; resampled and stereo clips are kept."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import soundfile

from polyvox.config import preset
from polyvox.data import data_report
from polyvox.data.manifest import read_manifest, write_manifest
from polyvox.train.run import train


def test_each_kind_of_bad_clip_is_skipped_and_reported(small_corpus, tmp_path):
    corpus_dir, _ = small_corpus
    good = [u for u in read_manifest(corpus_dir / "manifest.jsonl") if u.language == "en"]
    template = good[0]
    samples, rate = soundfile.read(template.audio, dtype="float32")
    folder = tmp_path / "data"
    folder.mkdir()

    def clip(name: str, **changes):
        return dataclasses.replace(template, audio=str(folder / name), **changes)

    (folder / "noise.wav").write_bytes(b"this is not audio at all" * 10)
    (folder / "truncated.wav").write_bytes(open(template.audio, "rb").read()[:30])
    (folder / "empty.wav").write_bytes(b"")
    soundfile.write(folder / "silent.wav", np.zeros(rate, dtype=np.float32), rate)
    soundfile.write(folder / "resampled.wav", samples[::2], rate // 2)
    soundfile.write(folder / "stereo.wav", np.stack([samples, samples], axis=1), rate)
    soundfile.write(folder / "good_audio.wav", samples, rate)
    unaligned = {"phonemes": None, "phoneme_durations": None}
    bad = [
        (clip("missing.wav"), data_report.MISSING_FILE),
        (clip("noise.wav"), data_report.UNREADABLE),
        (clip("truncated.wav"), data_report.UNREADABLE),
        (clip("empty.wav"), data_report.EMPTY),
        (clip("silent.wav"), data_report.SILENT),
        (clip("good_audio.wav", text="... !", **unaligned), data_report.UNREADABLE_TEXT),
        (dataclasses.replace(clip("stereo.wav", text="☃☃ ☃", **unaligned), audio=str(folder / "stereo.wav")), data_report.UNREADABLE_TEXT),
        (clip("good_audio.wav", text=" ".join(["several extraordinary words"] * 40), **unaligned), data_report.DURATION_MISMATCH),
    ]
    kept_extra = [clip("resampled.wav", **unaligned), clip("stereo.wav", **unaligned)]
    manifest = tmp_path / "manifest.jsonl"
    write_manifest(manifest, good + kept_extra + [utterance for utterance, _ in bad])
    config = preset("tiny").replace(
        **{"training.max_steps": 2, "training.checkpoint_every_steps": 100, "training.discriminator_start_step": 1000}
    )

    result = train(manifest, tmp_path / "run", config, progress=False, validation_per_language=0)

    assert result.steps == 2
    report = json.loads((tmp_path / "run" / data_report.REPORT_FILE).read_text())
    listed = sorted((entry["audio"].split("/")[-1], entry["reason"]) for entry in report["skipped"])
    assert listed == sorted((utterance.audio.split("/")[-1], reason) for utterance, reason in bad)
    assert report["clips_in_manifest"] == len(good) + len(kept_extra) + len(bad)
    assert report["clips_used"] == len(good) + len(kept_extra)
    assert report["skipped_per_reason"][data_report.UNREADABLE] == 2
    assert all(entry["detail"] for entry in report["skipped"])
