"""Preparing a run's data builds one text front end (#22 item 4): each builds its phonemizers anew."""

from __future__ import annotations

from polyvox.config import preset
from polyvox.text import frontend as frontend_module
from polyvox.train.run import prepare_data


def test_one_front_end_serves_screening_tables_encoding_and_coverage(small_corpus, tmp_path, monkeypatch) -> None:
    built = []
    original = frontend_module.TextFrontend.__init__

    def counted(self, *args, **kwargs) -> None:
        built.append(args)
        original(self, *args, **kwargs)

    monkeypatch.setattr(frontend_module.TextFrontend, "__init__", counted)
    corpus_dir, _ = small_corpus
    data = prepare_data(corpus_dir / "manifest.jsonl", tmp_path / "run", preset("tiny"), False, None, False, 1)
    assert data.train_items and len(built) == 1


def test_manifest_durations_are_used_unless_turned_off(small_corpus, tmp_path) -> None:
    corpus_dir, _ = small_corpus
    manifest = corpus_dir / "manifest.jsonl"
    used = prepare_data(manifest, tmp_path / "used", preset("tiny"), False, None, False, 1)
    assert any(item.durations is not None for item in used.train_items)  # espeak-ng timed the English clips
    searched = preset("tiny").replace(**{"training.use_manifest_durations": False})
    off = prepare_data(manifest, tmp_path / "off", searched, False, None, False, 1)
    assert [item.utterance for item in off.train_items] == [item.utterance for item in used.train_items]
    for item in (*off.train_items, *off.validation_items):
        assert item.durations is None and item.duration_windows is None  # every clip goes to the alignment search
