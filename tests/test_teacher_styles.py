"""A neural teacher's speech said in a corpus style by WORLD (``data/corpus/teacher_styles.py``), and a teacher corpus
with style labels (``polyvox corpus --teacher ... --styles ...``)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from polyvox.data.corpus import generate_corpus
from polyvox.data.corpus.revoice import revoice_corpus
from polyvox.data.corpus.styles import CORPUS_STYLES
from polyvox.data.corpus.teacher import TeacherSpeech
from polyvox.data.corpus.teacher_styles import stretched_durations, styled_speech
from polyvox.data.manifest import read_manifest
from polyvox.evaluation.prosody import prosody_figures

RATE = 22050


def gliding_vowel(seconds: float = 1.6, rate: int = RATE) -> np.ndarray:
    """A voiced stand-in for speech: 12 harmonics whose F0 glides 130 -> 190 -> 130 Hz, fading in and out."""
    times = np.arange(int(seconds * rate)) / rate
    f0 = 160.0 + 30.0 * np.sin(2 * np.pi * times / seconds - np.pi / 2) * -1
    phase = 2 * np.pi * np.cumsum(f0) / rate
    wave = sum(np.sin(k * phase) / k for k in range(1, 13))
    envelope = np.minimum(1.0, np.minimum(times, seconds - times) / 0.05)
    return (0.2 * wave * envelope).astype(np.float32)


def semitones(high: float, low: float) -> float:
    return 12 * math.log2(high / low)


@pytest.fixture(scope="module")
def original() -> tuple[np.ndarray, object]:
    samples = gliding_vowel()
    return samples, prosody_figures(samples, RATE)


@pytest.mark.parametrize("name", ["neutral", "calm", "excited", "sad"])
def test_each_style_moves_pitch_range_length_and_level_as_it_says(original, name):
    samples, before = original
    style = CORPUS_STYLES[name]
    spoken, _ = styled_speech(samples, RATE, style)
    after = prosody_figures(spoken, RATE)
    assert semitones(after.f0_mean_hz, before.f0_mean_hz) == pytest.approx(style.semitones, abs=0.4)
    # The swing (5th to 95th percentile, ~6.5 semitones here) scales with the range factor.
    assert after.f0_range_semitones / before.f0_range_semitones == pytest.approx(style.pitch_range_factor, rel=0.15)
    assert spoken.size / samples.size == pytest.approx(1 / style.rate_factor, rel=0.01)
    assert after.rms_db - before.rms_db == pytest.approx(style.gain_db, abs=1.0)
    assert after.voiced_fraction > 0.8


def test_whisper_is_unvoiced_and_quieter(original):
    samples, before = original
    spoken, _ = styled_speech(samples, RATE, CORPUS_STYLES["whisper"])
    after = prosody_figures(spoken, RATE)
    assert before.voiced_fraction > 0.8 and after.voiced_fraction < 0.1
    assert after.rms_db < before.rms_db - 3.0 and spoken.size == pytest.approx(samples.size, rel=0.01)


def test_token_durations_stretch_with_the_clip_and_still_sum_to_it(original):
    samples, _ = original
    durations = np.array([0, 4000, 11000, 0, 9000, samples.size - 24000])
    spoken, stretched = styled_speech(samples, RATE, CORPUS_STYLES["sad"], durations)
    assert stretched is not None and int(stretched.sum()) == spoken.size
    assert np.all(np.abs(stretched - durations * spoken.size / samples.size) <= 1.0)
    assert stretched[0] == 0 and stretched[3] == 0  # a token with no frames keeps none
    assert list(stretched_durations(np.array([3, 3, 4]), 5)) == [2, 1, 2]


class VowelTeacher:
    """Speaks every sentence as the gliding vowel, its length by the sentence's words."""

    name = "vowel"
    licence = "test"

    def voices(self, language: str) -> tuple[str, ...]:
        return ("one",)

    def speak(self, text: str, language: str, voice: str) -> TeacherSpeech:
        return TeacherSpeech(gliding_vowel(0.25 * len(text.split()), 24000), 24000)


def test_a_teacher_corpus_keeps_its_labels_and_says_each_in_its_style(tmp_path: Path, engine):
    styles = ("neutral", "excited", "sad", "whisper")
    generate_corpus(tmp_path, ["en"], 1, 8, seed=3, progress=False, engine=engine, styles=styles)
    before = read_manifest(tmp_path / "manifest.jsonl")
    revoice_corpus(tmp_path, {"en": (VowelTeacher(),)}, RATE)
    after = read_manifest(tmp_path / "manifest.jsonl")
    assert [u.style for u in after] == [u.style for u in before] == [styles[i % 4] for i in range(8)]
    assert all(u.speaker == "vowel_one" for u in after)
    for utterance in after:
        teacher_seconds = 0.25 * len(utterance.text.split())
        figures = prosody_figures(*load(utterance.audio))
        assert utterance.duration == pytest.approx(teacher_seconds / CORPUS_STYLES[utterance.style].rate_factor, abs=0.05)
        if utterance.style == "whisper":
            assert figures.voiced_fraction < 0.1
        else:
            assert semitones(figures.f0_mean_hz, 160.0) == pytest.approx(CORPUS_STYLES[utterance.style].semitones, abs=0.6)


def load(path: str) -> tuple[np.ndarray, int]:
    import soundfile

    samples, rate = soundfile.read(path, dtype="float32")
    return samples, rate
