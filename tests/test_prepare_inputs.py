"""Every input layout prepare reads, and a mixed-format folder processed on two workers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile

from polyvox.audio.io import resample
from polyvox.cli_support import DEFAULT_VOICE
from polyvox.data.data_report import SILENT, UNREADABLE
from polyvox.data.manifest import read_manifest
from polyvox.prepare import PrepareError, PrepareSettings
from polyvox.prepare.checks import NO_TRANSCRIPT
from polyvox.prepare.inputs import SourceRecording, iter_sources
from polyvox.prepare.pipeline import prepare_dataset
from polyvox.prepare.voice_target import voice_target
from prepare_helpers import WORK_RATE, spoken_sentences

Speech = tuple[list[str], list[np.ndarray]]


def find_sources(*arguments: object, **options: object) -> list[SourceRecording]:
    return list(iter_sources(*arguments, **options))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def speech(engine: object) -> Speech:
    return spoken_sentences(engine, "en", 4, seed=11)  # type: ignore[arg-type]


def _write(path: Path, samples: np.ndarray, rate: int, channels: int = 1, **kwargs: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    audio = resample(samples, WORK_RATE, rate) * 0.5
    data = np.stack([audio] * channels, axis=1) if channels > 1 else audio
    soundfile.write(str(path), data, rate, **kwargs)
    return path


def test_a_folder_mixes_formats_transcripts_and_speakers(tmp_path: Path, speech: Speech) -> None:
    texts, audio = speech
    root = tmp_path / "recordings"
    _write(root / "alice" / "a.wav", audio[0], 16000)
    (root / "alice" / "a.txt").write_text(texts[0])
    _write(root / "alice" / "b.flac", audio[1], 48000, channels=2)
    (root / "alice" / "transcripts.txt").write_text(f"b|{texts[1]}\n")
    _write(root / "bob" / "c.mp3", audio[2], 44100, format="MP3")
    _write(root / "d.ogg", audio[3], 22050, format="OGG")
    (root / "d.lab").write_text(texts[3])

    sources = {Path(s.audio).name: s for s in find_sources(root, "en")}
    assert {name: (s.speaker, s.text) for name, s in sources.items()} == {
        "a.wav": ("alice", texts[0]),
        "b.flac": ("alice", texts[1]),
        "c.mp3": ("bob", None),
        "d.ogg": ("recordings", texts[3]),
    }

    # Two worker processes, however little audio there is.
    settings = PrepareSettings(workers=2, parallel_min_audio_s=0.0)
    report = prepare_dataset(root, tmp_path / "out", voice_target(DEFAULT_VOICE), settings, progress=False)
    assert report.recordings == 4 and not report.unusable
    by_source = {Path(clip.source).name: clip for clip in report.clips}
    assert [r["reason"] for r in by_source["c.mp3"].reasons] == [NO_TRANSCRIPT]
    manifest = read_manifest(tmp_path / "out" / "manifest.jsonl")
    assert sorted(u.text for u in manifest) == sorted([texts[0], texts[1], texts[3]])
    assert all(soundfile.info(u.audio).samplerate == 22050 for u in manifest)
    assert report.steps["resampled"] == 3 and report.steps["down-mixed"] == 1


def test_ljspeech_layout(tmp_path: Path, speech: Speech) -> None:
    texts, audio = speech
    _write(tmp_path / "wavs" / "LJ001.wav", audio[0], 22050)
    (tmp_path / "metadata.csv").write_text(f"LJ001|raw text|{texts[0]}\n")
    expected = SourceRecording(str((tmp_path / "wavs" / "LJ001.wav").resolve()), "lj", "en", texts[0])
    assert find_sources(tmp_path, "en", speaker="lj") == [expected]


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("list.csv", "audio,text,speaker\nclips/x.wav,Hello there.,sam\n"),
        ("list.csv", "path|text\nclips/x.wav|Hello there.\n"),
        ("list.jsonl", '{"audio": "clips/x.wav", "text": "Hello there.", "speaker": "sam", "language": "de"}\n'),
    ],
)
def test_lists_of_paths_and_texts(tmp_path: Path, speech: Speech, name: str, content: str) -> None:
    _write(tmp_path / "clips" / "x.wav", speech[1][0], 22050)
    (tmp_path / name).write_text(content)
    [source] = find_sources(tmp_path / name, "en")
    assert source.audio == str((tmp_path / "clips" / "x.wav").resolve())
    assert source.text == "Hello there."
    assert source.speaker == ("sam" if "sam" in content else "list")
    assert source.language == ("de" if "de" in content else "en")


def test_a_single_recording_takes_its_transcript_from_beside_it(tmp_path: Path, speech: Speech) -> None:
    audio = _write(tmp_path / "talk.wav", speech[1][0], 22050)
    (tmp_path / "talk.txt").write_text("One.\nTwo.\n")
    assert find_sources(audio, "fr") == [SourceRecording(str(audio.resolve()), "talk", "fr", "One.\nTwo.")]


@pytest.mark.parametrize(
    ("layout", "message"),
    [
        ({"list.csv": "file_name;words\nx.wav;Hi\n"}, "must name the columns"),
        ({"list.csv": "audio,text\nmissing.wav,Hi\n"}, "audio file not found"),
        ({"list.jsonl": "[1, 2]\n"}, "expected an object"),
        ({"notes.doc": "x"}, "expected an audio file"),
        ({"empty/readme.md": "x"}, "no audio files"),
    ],
)
def test_unusable_inputs_say_what_is_wrong(tmp_path: Path, layout: dict[str, str], message: str) -> None:
    for name, content in layout.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(content)
    target = tmp_path / next(iter(layout)).split("/")[0]
    with pytest.raises(PrepareError, match=message):
        find_sources(target, "en")


def test_a_transcript_needs_a_single_recording(tmp_path: Path) -> None:
    with pytest.raises(PrepareError, match="single recording"):
        find_sources(tmp_path, "en", transcript=tmp_path / "t.txt")


def test_unreadable_and_silent_recordings_are_reported_not_fatal(tmp_path: Path, speech: Speech) -> None:
    texts, audio = speech
    _write(tmp_path / "good.wav", audio[0], 22050)
    (tmp_path / "good.txt").write_text(texts[0])
    (tmp_path / "broken.wav").write_bytes(b"RIFF not really a wav file")
    soundfile.write(str(tmp_path / "quiet.wav"), np.zeros(22050, dtype=np.float32), 22050)
    report = prepare_dataset(tmp_path, tmp_path / "out", voice_target(DEFAULT_VOICE), PrepareSettings(), progress=False)
    assert {(Path(item.source).name, item.reason) for item in report.unusable} == {
        ("broken.wav", UNREADABLE),
        ("quiet.wav", SILENT),
    }
    assert [u.text for u in read_manifest(tmp_path / "out" / "manifest.jsonl")] == [texts[0]]
