"""LJSpeech and folder importers on tiny generated layouts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile

from polyvox.data.importers import DatasetImportError, import_folder, import_ljspeech


def _write_wav(path: Path, seconds: float, sample_rate: int = 16000) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(str(path), np.zeros(int(seconds * sample_rate), dtype=np.float32), sample_rate)


def test_ljspeech_layout(tmp_path: Path) -> None:
    _write_wav(tmp_path / "wavs" / "LJ001-0001.wav", 1.5)
    _write_wav(tmp_path / "wavs" / "LJ001-0002.wav", 0.5)
    (tmp_path / "metadata.csv").write_text(
        'LJ001-0001|Printing, in the 1st sense|Printing, in the first sense\n'
        'LJ001-0002|"Quoted" text|\n'
        "LJ001-0003|no audio for this one|no audio for this one\n",
        encoding="utf-8",
    )
    utterances = import_ljspeech(tmp_path, "en")
    assert [u.text for u in utterances] == ["Printing, in the first sense", '"Quoted" text']
    assert utterances[0].duration == pytest.approx(1.5)
    assert utterances[0].speaker == "ljspeech" and utterances[0].language == "en"
    assert Path(utterances[0].audio).is_absolute()


def test_ljspeech_without_metadata_explains_layout(tmp_path: Path) -> None:
    with pytest.raises(DatasetImportError, match="metadata.csv"):
        import_ljspeech(tmp_path, "en")


def test_folder_with_speaker_subfolders_and_both_transcript_kinds(tmp_path: Path) -> None:
    _write_wav(tmp_path / "alice" / "one.wav", 1.0)
    (tmp_path / "alice" / "one.txt").write_text("First sentence.\n", encoding="utf-8")
    _write_wav(tmp_path / "alice" / "two.flac", 0.25)
    (tmp_path / "alice" / "two.lab").write_text("Second sentence.", encoding="utf-8")
    _write_wav(tmp_path / "bob" / "x.wav", 2.0)
    _write_wav(tmp_path / "bob" / "y.wav", 0.5)
    _write_wav(tmp_path / "bob" / "untranscribed.wav", 0.5)
    (tmp_path / "bob" / "transcripts.txt").write_text("x.wav|Bob says x.\ny|Bob says y.\n", encoding="utf-8")
    utterances = import_folder(tmp_path, "de")
    found = {(u.speaker, Path(u.audio).name): (u.text, u.duration) for u in utterances}
    assert found == {
        ("alice", "one.wav"): ("First sentence.", pytest.approx(1.0)),
        ("alice", "two.flac"): ("Second sentence.", pytest.approx(0.25)),
        ("bob", "x.wav"): ("Bob says x.", pytest.approx(2.0)),
        ("bob", "y.wav"): ("Bob says y.", pytest.approx(0.5)),
    }
    assert {u.language for u in utterances} == {"de"}


def test_folder_with_one_named_speaker(tmp_path: Path) -> None:
    _write_wav(tmp_path / "a.wav", 1.0)
    (tmp_path / "transcripts.csv").write_text("a|Hello.\n", encoding="utf-8")
    utterances = import_folder(tmp_path, "en", speaker="carol")
    assert [(u.speaker, u.text) for u in utterances] == [("carol", "Hello.")]


def test_folder_without_transcripts_explains_what_is_expected(tmp_path: Path) -> None:
    _write_wav(tmp_path / "a.wav", 1.0)
    with pytest.raises(DatasetImportError, match="transcript"):
        import_folder(tmp_path, "en")
