"""Transcription with a local Whisper model: a tiny randomly initialised one built here (its text is
gibberish; the plumbing is what is tested: loading, one transcript per clip, the language, errors)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import numpy as np
import pytest
import soundfile

from polyvox.cli_support import DEFAULT_VOICE
from polyvox.prepare import PrepareSettings, TranscriptionError
from polyvox.prepare.cache import JSON_TRANSCRIPTS_FILE, TRANSCRIPTS_FILE
from polyvox.prepare.checks import NO_TRANSCRIPT
from polyvox.prepare.pipeline import prepare_dataset
from polyvox.prepare.transcription import WhisperTranscriber
from polyvox.prepare.voice_target import voice_target
from prepare_helpers import WORK_RATE, spoken_sentences
from whisper_helpers import build_tiny_whisper

transformers = pytest.importorskip("transformers")

@pytest.fixture(scope="module")
def tiny_whisper(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_whisper(tmp_path_factory.mktemp("whisper"))


def test_one_transcript_per_clip_in_the_language_asked(tiny_whisper: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    transcriber = WhisperTranscriber(tiny_whisper)
    asked: list[str] = []
    generate = transcriber.model.generate

    def recording_generate(*args: object, **kwargs: object) -> object:
        asked.append(str(kwargs["language"]))
        return generate(*args, **kwargs)

    monkeypatch.setattr(transcriber.model, "generate", recording_generate)
    clips = [np.random.default_rng(seed).normal(0, 0.1, WORK_RATE * (1 + seed)).astype(np.float32) for seed in range(3)]
    texts = transcriber.transcribe(clips, WORK_RATE, "es")
    assert len(texts) == 3 and all(isinstance(text, str) for text in texts)
    assert asked == ["es"]
    with pytest.raises(TranscriptionError, match="'ru'"):
        transcriber.transcribe(clips[:1], WORK_RATE, "ru")


def test_missing_or_broken_model_folders_are_errors(tmp_path: Path, tiny_whisper: Path) -> None:
    with pytest.raises(TranscriptionError, match="not found"):
        WhisperTranscriber(tmp_path / "absent")
    with pytest.raises(TranscriptionError, match="no config.json"):
        WhisperTranscriber(tmp_path)
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text((tiny_whisper / "config.json").read_text())
    with pytest.raises(TranscriptionError, match="cannot load"):
        WhisperTranscriber(broken)


def test_untranscribed_clips_are_transcribed_once(
    tmp_path: Path, tiny_whisper: Path, engine: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, audio = spoken_sentences(engine, "en", 2, seed=31)  # type: ignore[arg-type]
    for index, samples in enumerate(audio):
        soundfile.write(str(tmp_path / f"clip{index}.wav"), 0.5 * samples, WORK_RATE)
    target = voice_target(DEFAULT_VOICE)
    out = tmp_path / "out"
    settings = PrepareSettings(workers=1, flagged="keep")
    report = prepare_dataset(tmp_path, out, target, settings, whisper_model=tiny_whisper, progress=False)
    assert len(report.clips) == 2
    cached = _cached_transcripts(out / ".prepare_cache")
    assert len(cached) == 2
    # Each clip carries its transcript (gibberish, possibly flagged as unreadable, but never missing).
    assert sorted(clip.text or "" for clip in report.clips) == sorted(cached.values())
    assert all(NO_TRANSCRIPT not in [r["reason"] for r in clip.reasons] for clip in report.clips if clip.text)

    def no_model(*args: object) -> None:
        raise AssertionError("the model was loaded again although every clip has a cached transcript")

    monkeypatch.setattr("polyvox.prepare.transcription.WhisperTranscriber.__init__", no_model)
    again = prepare_dataset(tmp_path, out, target, settings, whisper_model=tiny_whisper, progress=False)
    assert [clip.text for clip in again.clips] == [clip.text for clip in report.clips]

    # Transcripts an earlier version kept in transcripts.json are read into the SQLite file, not made again.
    (out / ".prepare_cache" / TRANSCRIPTS_FILE).unlink()
    (out / ".prepare_cache" / JSON_TRANSCRIPTS_FILE).write_text(json.dumps(cached))
    from_json = prepare_dataset(tmp_path, out, target, settings, whisper_model=tiny_whisper, progress=False)
    assert [clip.text for clip in from_json.clips] == [clip.text for clip in report.clips]
    assert _cached_transcripts(out / ".prepare_cache") == cached


def _cached_transcripts(folder: Path) -> dict[str, str]:
    connection = sqlite3.connect(folder / TRANSCRIPTS_FILE)
    try:
        return dict(connection.execute("SELECT key, text FROM transcripts").fetchall())
    finally:
        connection.close()
