"""A long recording made ugly on purpose (44.1 kHz stereo, noise, one clipped sentence) must come
back as one clip per sentence, at the sentences' places, with the transcript split to match."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import soundfile

from polyvox.cli_support import DEFAULT_VOICE
from polyvox.data.manifest import read_manifest
from polyvox.prepare import AudioSettings, PrepareSettings
from polyvox.prepare.checks import CLIPPING, NO_TRANSCRIPT
from polyvox.prepare.pipeline import prepare_dataset
from polyvox.prepare.report import DROPPED, FLAGGED_KEPT, REPORT_FILE
from polyvox.prepare.voice_target import VoiceTarget, voice_target
from prepare_helpers import LongRecording, write_long_recording

# The clip edges sit at the speech edges plus the kept silence, within a few VAD frames.
EDGE_TOLERANCE_S = 0.15


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory, engine: object) -> LongRecording:
    return write_long_recording(engine, tmp_path_factory.mktemp("long") / "podcast.wav")  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def target() -> VoiceTarget:
    return voice_target(DEFAULT_VOICE)


def _assert_matches_sentences(report_clips: list, recording: LongRecording, keep_s: float) -> None:
    assert len(report_clips) == len(recording.sentences)
    for clip, (start, end) in zip(report_clips, recording.boundaries):
        assert clip.start_s + keep_s == pytest.approx(start, abs=EDGE_TOLERANCE_S)
        assert clip.end_s - keep_s == pytest.approx(end, abs=EDGE_TOLERANCE_S)


def test_transcript_lines_are_split_to_the_clips(tmp_path: Path, recording: LongRecording, target: VoiceTarget) -> None:
    transcript = tmp_path / "transcript.txt"
    transcript.write_text("\n".join(recording.sentences), encoding="utf-8")
    report = prepare_dataset(recording.path, tmp_path / "out", target, PrepareSettings(), transcript=transcript, progress=False)

    _assert_matches_sentences(report.clips, recording, AudioSettings().keep_silence_s)
    assert [clip.text for clip in report.clips] == recording.sentences
    assert {"resampled", "down-mixed", "loudness normalised", "silence trimmed", "sliced at pauses"} <= set(report.steps)
    # The sentence driven into clipping is the one flagged, and dropped by default.
    flagged = {index for index, clip in enumerate(report.clips) if clip.reasons}
    assert flagged == {2}
    assert [reason["reason"] for reason in report.clips[2].reasons] == [CLIPPING]
    assert report.clips[2].action == DROPPED
    manifest = read_manifest(tmp_path / "out" / "manifest.jsonl")
    assert [u.text for u in manifest] == recording.sentences[:2] + recording.sentences[3:]
    for utterance in manifest:
        info = soundfile.info(utterance.audio)
        assert (info.samplerate, info.channels) == (22050, 1)
        assert info.frames / info.samplerate == pytest.approx(utterance.duration, abs=1e-3)
    written = json.loads((tmp_path / "out" / REPORT_FILE).read_text())
    assert written["flagged_or_dropped"][0]["reasons"][0]["reason"] == CLIPPING
    assert (tmp_path / "out" / "clip_lengths.png").stat().st_size > 0
    assert (tmp_path / "out" / "speaking_rates.png").stat().st_size > 0


def test_a_rerun_reuses_the_work_and_keep_keeps_flagged_clips(
    tmp_path: Path, recording: LongRecording, target: VoiceTarget
) -> None:
    transcript = tmp_path / "transcript.txt"
    # One paragraph: split into sentences at their ends.
    transcript.write_text(" ".join(recording.sentences), encoding="utf-8")
    first = prepare_dataset(recording.path, tmp_path / "out", target, PrepareSettings(), transcript=transcript, progress=False)
    assert [clip.text for clip in first.clips] == recording.sentences
    written = {Path(clip.audio): Path(clip.audio).stat().st_mtime_ns for clip in first.clips}

    again = prepare_dataset(
        recording.path, tmp_path / "out", target, PrepareSettings(flagged="keep"), transcript=transcript, progress=False
    )
    assert again.reused == 1
    assert {Path(clip.audio): Path(clip.audio).stat().st_mtime_ns for clip in again.clips} == written
    assert again.clips[2].action == FLAGGED_KEPT
    assert len(read_manifest(tmp_path / "out" / "manifest.jsonl")) == len(recording.sentences)

    changed = dataclasses.replace(PrepareSettings(), audio=AudioSettings(keep_silence_s=0.05))
    redone = prepare_dataset(recording.path, tmp_path / "out", target, changed, transcript=transcript, progress=False)
    assert redone.reused == 0
    _assert_matches_sentences(redone.clips, recording, 0.05)


def test_without_a_transcript_the_clips_are_cut_and_reported_untranscribed(
    tmp_path: Path, recording: LongRecording, target: VoiceTarget
) -> None:
    report = prepare_dataset(recording.path, tmp_path / "out", target, PrepareSettings(), progress=False)
    _assert_matches_sentences(report.clips, recording, AudioSettings().keep_silence_s)
    assert all(NO_TRANSCRIPT in [r["reason"] for r in clip.reasons] for clip in report.clips)
    assert all(clip.action == DROPPED for clip in report.clips)
    assert read_manifest(tmp_path / "out" / "manifest.jsonl") == []
