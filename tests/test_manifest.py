"""Manifest reading and writing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from polyvox.data.manifest import ManifestError, Utterance, read_manifest, write_manifest


def _utterances(folder: Path) -> list[Utterance]:
    return [
        Utterance(str(folder / "wavs" / "a.wav"), "Hello there.", "anna", "en", 1.25),
        Utterance(
            str(folder / "wavs" / "b.wav"),
            "Ça va ?",
            "bruno",
            "fr",
            0.5,
            phonemes=("s", "a", " ", "v", "a", "?"),
            phoneme_durations=(0.1, 0.1, 0.0, 0.1, 0.1, 0.1),
        ),
    ]


def test_round_trip_with_relative_paths(tmp_path: Path) -> None:
    utterances = _utterances(tmp_path)
    manifest = tmp_path / "manifest.jsonl"
    write_manifest(manifest, utterances)
    records = [json.loads(line) for line in manifest.read_text(encoding="utf-8").splitlines()]
    assert records[0]["audio"] == "wavs/a.wav"
    assert "phonemes" not in records[0]
    assert read_manifest(manifest) == utterances
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.jsonl"]


def test_paths_outside_the_folder_stay_absolute(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "c.wav"
    manifest = tmp_path / "data" / "manifest.jsonl"
    write_manifest(manifest, [Utterance(str(outside), "Hi.", "anna", "en", 0.3)])
    assert json.loads(manifest.read_text())["audio"] == str(outside)
    assert read_manifest(manifest)[0].audio == str(outside)


def test_malformed_line_names_file_and_line(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.jsonl"
    good = json.dumps({"audio": "a.wav", "text": "x", "speaker": "s", "language": "en", "duration": 1.0})
    manifest.write_text(good + "\n\n" + "{not json\n", encoding="utf-8")
    with pytest.raises(ManifestError, match=r"manifest.jsonl, line 3"):
        read_manifest(manifest)
    manifest.write_text(good + "\n" + json.dumps({"audio": "a.wav", "text": "x"}) + "\n", encoding="utf-8")
    with pytest.raises(ManifestError, match=r"line 2: missing field\(s\) speaker, language, duration"):
        read_manifest(manifest)


def test_phonemes_and_durations_must_match_in_length() -> None:
    with pytest.raises(ManifestError, match="same length"):
        Utterance("a.wav", "x", "s", "en", 1.0, phonemes=("a", "b"), phoneme_durations=(0.5,))


def test_missing_manifest_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="not found"):
        read_manifest(tmp_path / "missing.jsonl")
