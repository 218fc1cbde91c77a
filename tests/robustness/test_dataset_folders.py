"""#24 items 2, 3 and 11: ``prepare`` never replaces a dataset it did not write, one bad file is skipped
(not every clip), and text files that are not UTF-8 are one line naming the file."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from polyvox.cli import app
from polyvox.data.importers import import_folder
from polyvox.data.manifest import ManifestError, read_manifest
from robustness_helpers import one_error_line

NOT_UTF8 = "caf\u00e9 ol\u00e9".encode("latin-1")


def run(*args: str):
    return CliRunner().invoke(app, list(args))


@pytest.fixture()
def clip_folder(small_corpus, tmp_path) -> Path:
    """Five English clips with transcripts beside them, one empty audio file with a transcript."""
    folder = tmp_path / "recordings"
    folder.mkdir()
    english = [u for u in read_manifest(small_corpus[0] / "manifest.jsonl") if u.language == "en"][:5]
    for index, utterance in enumerate(english):
        shutil.copy(utterance.audio, folder / f"clip{index}.wav")
        (folder / f"clip{index}.txt").write_text(utterance.text, encoding="utf-8")
    (folder / "broken.wav").write_bytes(b"")
    (folder / "broken.txt").write_text("This file holds no audio.", encoding="utf-8")
    return folder


def test_prepare_into_a_folder_holding_a_dataset_is_refused(small_corpus, clip_folder, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(small_corpus[0], corpus)
    before = (corpus / "manifest.jsonl").read_bytes()
    line = one_error_line(run("prepare", str(clip_folder), "-o", str(corpus)))
    assert "already holds a dataset (manifest.jsonl with 20 clip(s)" in line and "--append" in line
    assert (corpus / "manifest.jsonl").read_bytes() == before


def test_one_unreadable_file_is_reported_and_the_others_kept_and_append_adds(small_corpus, clip_folder, tmp_path):
    out = tmp_path / "prepared"
    result = run("prepare", str(clip_folder), "-o", str(out))
    assert result.exit_code == 0, result.output
    report = json.loads((out / "prepare_report.json").read_text())
    assert [(Path(entry["source"]).name, entry["reason"]) for entry in report["unusable_recordings"]] == [
        ("broken.wav", "unreadable or truncated audio")
    ]
    assert "no transcript" not in report["reasons"]
    assert report["clips_written"] == 5
    prepared = read_manifest(out / "manifest.jsonl")
    assert prepared

    # A re-run of the same input replaces its own manifest (documented); another input needs --append.
    assert run("prepare", str(clip_folder), "-o", str(out)).exit_code == 0
    assert len(read_manifest(out / "manifest.jsonl")) == len(prepared)
    other = tmp_path / "other"
    shutil.copytree(clip_folder, other)
    (other / "broken.wav").unlink()
    assert "--append" in one_error_line(run("prepare", str(other), "-o", str(out)))
    assert run("prepare", str(other), "-o", str(out), "--append").exit_code == 0
    assert len(read_manifest(out / "manifest.jsonl")) == 2 * len(prepared)


def test_import_folder_skips_a_bad_file_and_a_transcript_that_is_not_utf8(clip_folder, caplog):
    (clip_folder / "clip4.txt").write_bytes(NOT_UTF8)
    utterances = import_folder(clip_folder, "en", speaker="s")
    assert sorted(Path(u.audio).name for u in utterances) == ["clip0.wav", "clip1.wav", "clip2.wav", "clip3.wav"]
    assert "clip4.txt is not UTF-8 text (byte 0xe9 at offset 3)" in caplog.text
    assert "broken.wav" in caplog.text


def test_a_prepare_transcript_that_is_not_utf8_is_one_line(clip_folder, tmp_path):
    transcript = tmp_path / "latin1.txt"
    transcript.write_bytes(NOT_UTF8)
    line = one_error_line(run("prepare", str(clip_folder / "clip0.wav"), "--transcript", str(transcript), "-o", str(tmp_path / "o")))
    assert "latin1.txt is not UTF-8 text" in line


def test_a_say_text_file_that_is_not_utf8_is_one_line(tmp_path):
    text = tmp_path / "latin1.txt"
    text.write_bytes(NOT_UTF8)
    line = one_error_line(run("say", "-f", str(text), "-o", str(tmp_path / "out.wav")))
    assert "latin1.txt is not UTF-8 text (byte 0xe9 at offset 3)" in line


def test_a_manifest_that_is_not_utf8_names_its_line(small_corpus, tmp_path):
    manifest = tmp_path / "manifest.jsonl"
    lines = (small_corpus[0] / "manifest.jsonl").read_bytes().splitlines(keepends=True)
    manifest.write_bytes(b"".join(lines[:2]) + NOT_UTF8 + b"\n")
    with pytest.raises(ManifestError, match=r"manifest.jsonl, line 3: not UTF-8 text \(byte 0xe9\)"):
        read_manifest(manifest)
    line = one_error_line(run("train", "-d", str(manifest), "-o", str(tmp_path / "run"), "--preset", "tiny"))
    assert "line 3: not UTF-8 text" in line
