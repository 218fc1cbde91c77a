"""``polyvox export --web`` without a browser: the folder it writes (with a stand-in runtime, so no npm is
needed), the front end's tables, and the one-line error when the npm runtime is missing."""

from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from onnx_voices import make_voice
from polyvox.cli import app
from polyvox.export.web_export import NPM_COMMAND, PAGE_FILES, RUNTIME_ENV, RUNTIME_FILES, export_web
from polyvox.export.web_japanese import japanese_missing
from polyvox.export.web_mandarin import (
    MANDARIN_FORMAT, MANDARIN_NAME, MandarinDataError, mandarin_tables, mandarin_version_mismatch,
)
from polyvox.export.web_tables import web_tables
from polyvox.text.phonemizers.espeak import espeak_voices, resolve_voice
from polyvox.text.punctuation import PUNCTUATION_TOKENS


@pytest.fixture
def stand_in_runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A node_modules folder with every file the export copies, each a few bytes."""
    folder = tmp_path / "node_modules"
    for source in RUNTIME_FILES:
        (folder / source).parent.mkdir(parents=True, exist_ok=True)
        (folder / source).write_text(f"stand-in for {source}")
    monkeypatch.setenv(RUNTIME_ENV, str(folder))
    return folder


def test_export_writes_the_page_graphs_tables_and_runtime(stand_in_runtime: Path, tmp_path: Path) -> None:
    voice = make_voice(tmp_path / "tiny.safetensors", "hifigan", 0.0)
    page = export_web(voice, tmp_path / "page")
    names = {path.relative_to(page.directory).as_posix() for path in page.files}
    assert set(PAGE_FILES) | {"voice.onnx", "voice.encoder.onnx", "voice.decoder.onnx", "voice.onnx.json", "web.json"} <= names
    assert {f"vendor/{name}" for name in RUNTIME_FILES.values()} <= names
    assert all(path.is_file() for path in page.files)
    tables = json.loads((page.directory / "web.json").read_text(encoding="utf-8"))
    assert set(tables["languages"]) == {"en", "es"} and tables["unsupported_languages"] == {}


def test_tables_list_each_language_the_page_cannot_phonemize() -> None:
    tables = web_tables(("en", "fr", "zh", "ja", "ru", "hi"))
    # Japanese needs pyopenjtalk's dictionary built for kuromoji (node and the npm runtime, once).
    japanese = {"ja"} if japanese_missing() is None else set()
    assert set(tables["languages"]) == {"en", "fr", "zh"} | japanese and tables["languages"]["zh"]["mandarin"] == MANDARIN_NAME
    assert {"ja", "ru", "hi"} - japanese == set(tables["unsupported_languages"]) and all(tables["unsupported_languages"].values())
    assert tables["languages"]["en"]["espeak_voices"][0] == resolve_voice("en", espeak_voices())
    assert tables["punctuation_tokens"] == dict(PUNCTUATION_TOKENS)


def test_missing_runtime_is_one_line_with_the_npm_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(RUNTIME_ENV, str(tmp_path / "nothing"))
    result = CliRunner().invoke(app, ["export", "--web", str(tmp_path / "page")])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and NPM_COMMAND in lines[0], result.output
    assert not (tmp_path / "page").exists()


def test_a_folder_with_files_is_replaced_only_with_overwrite(stand_in_runtime: Path, tmp_path: Path) -> None:
    voice = make_voice(tmp_path / "tiny.safetensors", "hifigan", 0.0)
    page = tmp_path / "page"
    assert CliRunner().invoke(app, ["export", str(voice), "--web", str(page)]).exit_code == 0
    refused = CliRunner().invoke(app, ["export", str(voice), "--web", str(page)])
    assert refused.exit_code == 1 and "--overwrite" in refused.output and len(refused.output.strip().splitlines()) == 1
    assert CliRunner().invoke(app, ["export", str(voice), "--web", str(page), "--overwrite"]).exit_code == 0


def test_mandarin_tables_hold_pypinyin_readings_and_splits() -> None:
    """What mandarin.js relies on: each toneless syllable splits alike for every tone (the final carries the
    tone), and a word's reading is its own entry or its characters' first readings."""
    from pypinyin import Style, lazy_pinyin
    from pypinyin.contrib.tone_convert import to_finals_tone3, to_initials

    tables = mandarin_tables()
    assert "MIT" in tables["license"]
    for base, (initial, final) in tables["syllables"].items():
        for tone in "12345":
            assert to_initials(base + tone, strict=True) == initial
            assert to_finals_tone3(base + tone, strict=True, neutral_tone_with_five=True) == (final + tone if final else "")
    readings = {char: syllable for syllable, chars in tables["chars"].items() for char in chars}
    words = tables["phrases"].split(" ")
    assert len(words) + len(tables["readings"]) > 40000
    for word in [*words[::500], *list(tables["readings"])[::500]]:
        expected = lazy_pinyin(word, style=Style.TONE3, neutral_tone_with_five=True)
        assert tables["readings"].get(word, " ".join(readings[char] for char in word)) == " ".join(expected), word


def test_a_page_with_another_pypinyins_data_is_one_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    from polyvox.export.web_browser import serve

    assert mandarin_version_mismatch(tmp_path) is None  # no Mandarin in the page
    tables = {"format": MANDARIN_FORMAT, "pypinyin_version": importlib.metadata.version("pypinyin")}
    (tmp_path / MANDARIN_NAME).write_text(json.dumps(tables), encoding="utf-8")
    assert mandarin_version_mismatch(tmp_path) is None
    (tmp_path / MANDARIN_NAME).write_text(json.dumps({**tables, "pypinyin_version": "0.1"}), encoding="utf-8")
    message = mandarin_version_mismatch(tmp_path)
    assert message and "pypinyin 0.1's readings" in message and "\n" not in message
    with caplog.at_level("WARNING"), serve(tmp_path):
        assert caplog.messages == [message]
    (tmp_path / MANDARIN_NAME).write_text("[]", encoding="utf-8")
    with pytest.raises(MandarinDataError, match="export the page again"):
        mandarin_version_mismatch(tmp_path)
