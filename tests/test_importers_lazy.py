"""Folder and LJSpeech inputs are read one recording at a time (#23 item 3), in the order and with the
speakers and transcripts the whole-list reading gave."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile

import polyvox.data.importers as importers
from polyvox.data.importers import DatasetImportError, import_folder, import_ljspeech, sorted_audio_files
from polyvox.prepare.inputs import SourceRecording, iter_sources


def _wav(path: Path, seconds: float = 0.05) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(str(path), np.zeros(int(8000 * seconds), dtype=np.float32), 8000)


# path -> seconds of silence (audio) or text (a transcript, a list, or bytes that are not audio / not UTF-8)
TREE: dict[str, float | str | bytes] = {
    "a.wav": 0.05, "a.txt": "root a\n",
    "b.wav": 0.05,  # no transcript
    "b/x.wav": 0.1, "b/x.lab": "b x",
    "b-c.wav": 0.05, "b-c.txt": "bc",
    "b/deep/y.wav": 0.15, "b/deep/z.wav": 0.2, "b/deep/transcripts.txt": "y|deep y\nz.wav|deep z\n",
    "b/empty.wav": 0.05, "b/empty.txt": "  ",
    "b/m.wav": 0.05, "b/transcripts.csv": "m|from the list\n",
    ".hidden/h.wav": 0.05, ".hidden/h.txt": "under a hidden folder",
    "c/.dot.wav": 0.05, "c/.dot.txt": "hidden file",
    "c/.sub/s.wav": 0.05, "c/.sub/s.txt": "hidden sub-folder of a speaker",
    "c/bad.wav": b"not audio", "c/bad.txt": "bad header",
    "c/latin.wav": 0.05, "c/latin.txt": "caf\xe9".encode("latin-1"),
    "C/upper.wav": 0.05, "C/upper.txt": "upper",
    "c/Z.WAV": 0.05, "c/Z.txt": "upper-case extension",
    "out/o.wav": 0.05, "out/o.txt": "in the output folder",
}


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """Files beside and below folders whose names sort around them, lists, hidden names, bad files."""
    root = tmp_path / "root"
    for name, content in TREE.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, float):
            _wav(path, content)
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content)
    return root


def _whole_list_sources(root: Path, language: str, speaker: str | None, exclude: Path | None) -> list[SourceRecording]:
    """What prepare's folder input gave before #23 item 3: import_folder's list in a dict, then sorted(rglob)."""
    try:
        transcribed = {Path(u.audio): u for u in import_folder(root, language, speaker=speaker)}
    except DatasetImportError:
        transcribed = {}
    sources = []
    for audio in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in importers.AUDIO_EXTENSIONS):
        resolved = audio.resolve()
        if audio.name.startswith(".") or (exclude is not None and resolved.is_relative_to(exclude)):
            continue
        if resolved in transcribed:
            u = transcribed[resolved]
            sources.append(SourceRecording(u.audio, u.speaker, u.language, u.text))
            continue
        relative = audio.relative_to(root)
        folder_speaker = relative.parts[0] if len(relative.parts) > 1 else root.resolve().name
        sources.append(SourceRecording(str(resolved), speaker or folder_speaker, language, None))
    return sources


def test_the_walk_lists_files_in_sorted_rglob_order(tree: Path) -> None:
    expected = sorted(p for p in tree.rglob("*") if p.is_file() and p.suffix.lower() in importers.AUDIO_EXTENSIONS)
    assert list(sorted_audio_files(tree)) == expected
    assert list(sorted_audio_files(tree, recursive=False)) == [tree / "a.wav", tree / "b-c.wav", tree / "b.wav"]


@pytest.mark.parametrize("speaker", [None, "spk"])
@pytest.mark.parametrize("excluded", [True, False])
def test_a_folder_gives_what_the_whole_list_gave(tree: Path, speaker: str | None, excluded: bool) -> None:
    exclude = (tree / "out").resolve() if excluded else None
    assert list(iter_sources(tree, "en", speaker, exclude=exclude)) == _whole_list_sources(tree, "en", speaker, exclude)
    texts = {Path(source.audio).name: source.text for source in iter_sources(tree, "en", speaker, exclude=exclude)}
    assert texts["y.wav"] == "deep y" and texts["m.wav"] == "from the list" and texts["b.wav"] is None
    assert texts["h.wav"] == (None if speaker is None else "under a hidden folder")


def test_import_folder_keeps_its_order_and_speakers(tree: Path) -> None:
    imported = [(Path(u.audio).relative_to(tree).as_posix(), u.speaker, u.text) for u in import_folder(tree, "en")]
    assert imported == [
        ("a.wav", "root", "root a"), ("b-c.wav", "root", "bc"), ("C/upper.wav", "C", "upper"),
        ("b/deep/y.wav", "b", "deep y"), ("b/deep/z.wav", "b", "deep z"), ("b/m.wav", "b", "from the list"),
        ("b/x.wav", "b", "b x"), ("c/.sub/s.wav", "c", "hidden sub-folder of a speaker"),
        ("c/Z.WAV", "c", "upper-case extension"), ("out/o.wav", "out", "in the output folder"),
    ]


def test_a_folder_is_read_one_recording_at_a_time(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    headers: list[Path] = []
    read_header = importers._utterance

    def counted(audio: Path, *arguments: str) -> object:
        headers.append(audio)
        return read_header(audio, *arguments)

    monkeypatch.setattr(importers, "_utterance", counted)
    first = next(iter_sources(tree, "en"))
    assert (Path(first.audio).name, first.text) == ("h.wav", None)  # under a hidden folder: not imported
    assert headers == []
    sources = iter_sources(tree, "en")
    next(sources), next(sources)
    assert [path.name for path in headers] == ["upper.wav"]  # the second is C/upper.wav: one header, not all
    lj = tree.parent / "lj"
    for index in range(3):
        _wav(lj / "wavs" / f"LJ{index}.wav")
    (lj / "metadata.csv").write_text("LJ0|raw 0|norm 0\nLJ1|raw 1|\n\nLJ9|missing|x\nLJ2|raw 2\n")
    headers.clear()
    lj_sources = iter_sources(lj, "en")
    assert next(lj_sources).text == "norm 0" and len(headers) == 1
    assert [(s.text, s.speaker) for s in lj_sources] == [("raw 1", "lj"), ("raw 2", "lj")]
    assert [u.text for u in import_ljspeech(lj, "en")] == ["norm 0", "raw 1", "raw 2"]


def test_a_malformed_transcript_list_stops_the_folder_in_one_line(tree: Path) -> None:
    (tree / "b" / "transcripts.txt").write_text("no separator here\n")
    with pytest.raises(DatasetImportError, match=r"transcripts.txt, line 1: expected 'name\|text'"):
        list(iter_sources(tree, "en"))
