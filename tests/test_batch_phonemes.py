"""``polyvox say --batch`` records with ``phonemes`` or a ``score`` (issue #20 item 5): spoken as the flags speak
them; a malformed record stops the batch before anything is spoken, a phoneme the voice lacks fails its line only."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pytest
import soundfile
from typer.testing import CliRunner

from polyvox.cli import app
from polyvox.inference.batch import one_torch_thread
from polyvox.inference.batch_items import BatchInputError, read_batch_items
from polyvox.inference.phoneme_input import text_as_phonemes
from polyvox.inference.voice import Voice
from tiny_voices import ENGLISH, make_tiny_voice

SENTENCE = "Hello world."  # one sentence: phonemes are one
NOTES = [{"phoneme": "h", "ms": 60}, {"phoneme": "ə", "ms": 200, "midi": 57}, {"phoneme": "l", "ms": 80, "hz": 220}]


@pytest.fixture(autouse=True, scope="module")
def single_torch_thread():
    with one_torch_thread():
        yield


@pytest.fixture(scope="module")
def voice_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_tiny_voice(tmp_path_factory.mktemp("voice") / "tiny.safetensors", seed=0)


def run(*args: str | Path):
    return CliRunner().invoke(app, [str(arg) for arg in args])


def write_jsonl(path: Path, records: list[object]) -> Path:
    path.write_text("".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records), encoding="utf-8")
    return path


def samples(path: Path) -> np.ndarray:
    return soundfile.read(str(path), dtype="int16")[0]


def error_lines(result) -> list[str]:
    return [line for line in result.stderr.strip().splitlines() if line.startswith("error: ")]


def test_records_with_phonemes_and_scores_speak_as_the_flags_do(voice_file: Path, tmp_path: Path) -> None:
    phonemes = text_as_phonemes(SENTENCE, Voice.load(voice_file).text.rules, "en")
    score = write_jsonl(tmp_path / "notes.json", [{"notes": NOTES}])
    manifest = write_jsonl(tmp_path / "batch.jsonl", [
        {"id": "said", "phonemes": phonemes},
        {"id": "sung", "text": "", "score": {"notes": NOTES}},
        {"id": "text", "text": SENTENCE},
    ])
    folder = tmp_path / "out"
    result = run("say", "--batch", manifest, "-o", folder, "--voice", voice_file, "--seed", "5", "--jobs", "1")
    assert result.exit_code == 0, result.output
    assert sorted(path.name for path in folder.iterdir()) == ["said.wav", "sung.wav", "text.wav"]
    for name, flags in (("said", ["--phonemes", phonemes]), ("sung", ["--score", score])):
        alone = tmp_path / f"{name}.wav"
        assert run("say", *flags, "-o", alone, "--voice", voice_file, "--seed", "5").exit_code == 0
        np.testing.assert_array_equal(samples(folder / f"{name}.wav"), samples(alone))
    np.testing.assert_array_equal(samples(folder / "said.wav"), samples(folder / "text.wav"))  # same ids, same seed


def test_items_with_a_score_travel_to_worker_processes(tmp_path: Path) -> None:
    manifest = write_jsonl(tmp_path / "batch.jsonl", [{"phonemes": "h ə"}, {"score": {"notes": NOTES}}])
    items = read_batch_items(manifest)
    assert pickle.loads(pickle.dumps(items)) == items  # --jobs hands items to spawned workers
    assert items[1].score is not None and items[1].score.notes[1].pitch_hz == pytest.approx(220.0)


def test_a_manifests_phoneme_list_is_training_data_and_its_text_is_spoken(tmp_path: Path) -> None:
    manifest = write_jsonl(tmp_path / "manifest.jsonl", [
        {"audio": "wavs/a.wav", "text": "Hello.", "speaker": "en_f3", "language": "en", "duration": 1.0,
         "phonemes": ["h", "ə"], "phoneme_durations": [0.1, 0.2]},
    ])
    (item,) = read_batch_items(manifest)
    assert (item.name, item.text, item.phonemes, item.score) == ("a", "Hello.", None, None)


@pytest.mark.parametrize(
    ("record", "fragments"),
    [
        ({"text": "Hello.", "phonemes": "h ə"}, ("line 2", "not text and phonemes")),
        ({"phonemes": "h ə", "score": {"notes": NOTES}}, ("line 2", "not phonemes and score")),
        ({"phonemes": ["h", "ə"]}, ("line 2", "'phonemes' must be a string")),
        ({"score": "notes.json"}, ("line 2", "JSON object", "not a file name")),
        ({"score": {"notes": [{"phoneme": "l", "ms": -5}]}}, ("batch.jsonl, line 2: score: note 1", "above 0")),
        ({"score": {"notes": []}}, ("line 2", '"notes" list')),
        ({"id": "x"}, ("line 2", "needs a 'text'", "'phonemes'", "'score'")),
    ],
)
def test_a_bad_record_is_one_line_naming_it_and_nothing_is_spoken(
    voice_file: Path, tmp_path: Path, record: dict[str, object], fragments: tuple[str, ...]
) -> None:
    manifest = write_jsonl(tmp_path / "batch.jsonl", [{"id": "first", "text": ENGLISH}, record])
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "kept.wav").write_bytes(b"from an earlier run")
    result = run("say", "--batch", manifest, "-o", folder, "--voice", voice_file, "--jobs", "1")
    assert result.exit_code == 1, result.output
    (line,) = error_lines(result)
    assert all(fragment in line for fragment in fragments), line
    assert "Traceback" not in result.output
    assert sorted(path.name for path in folder.iterdir()) == ["kept.wav"]  # nothing spoken, nothing removed
    with pytest.raises(BatchInputError):
        read_batch_items(manifest)


def test_phonemes_the_voice_cannot_say_fail_their_line_and_the_others_are_written(voice_file: Path, tmp_path: Path) -> None:
    manifest = write_jsonl(tmp_path / "batch.jsonl", [
        {"id": "good", "phonemes": "h ə l"},
        {"id": "unknown", "phonemes": "h ə ʔx"},
        {"id": "silent", "phonemes": "| ."},
        {"id": "sung", "score": {"notes": NOTES}},
    ])
    folder = tmp_path / "out"
    result = run("say", "--batch", manifest, "-o", folder, "--voice", voice_file, "--jobs", "1", "--speed", "1.2")
    assert result.exit_code == 1
    failed = [line for line in result.stderr.splitlines() if line.startswith("failed: ")]
    assert len(failed) == 3, result.stderr
    assert "batch.jsonl, line 2: phoneme 3 'ʔx' is not a symbol of this voice" in failed[0]
    assert "batch.jsonl, line 3: the phonemes have no sound to say" in failed[1]
    assert "batch.jsonl, line 4: a score sets its own durations" in failed[2]  # --speed applies to texts and phonemes
    assert sorted(path.name for path in folder.iterdir()) == ["good.wav"]
    again = run("say", "--batch", manifest, "-o", folder, "--voice", voice_file, "--jobs", "1")
    assert "2 of 4 utterances failed" in again.stderr  # the score is sung at speed 1; good.wav is kept
    assert sorted(path.name for path in folder.iterdir()) == ["good.wav", "sung.wav"]
