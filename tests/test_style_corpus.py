"""#20 item 4: a generated corpus whose style labels differ measurably, and a voice trained on it.

The corpus's clips are measured with ``evaluation/prosody.py`` (F0 by WORLD DIO + StoneMask, silent ends cut).
Thresholds sit well inside what was measured; the comments give the measured figures.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from polyvox.cli import app
from polyvox.data.corpus import CorpusReport, generate_corpus
from polyvox.data.corpus.errors import CorpusError
from polyvox.data.corpus.espeak_engine import EspeakEngine
from polyvox.data.corpus.styles import CORPUS_STYLES, corpus_styles
from polyvox.data.manifest import read_manifest
from polyvox.evaluation.prosody import ProsodyFigures, manifest_figures, prosody_shift

STYLES = ("neutral", "calm", "excited", "sad", "whisper")
SPEAKERS = ("en_f3", "en_m1")
SAMPLE_RATE = 22050


@pytest.fixture(scope="module")
def styled_corpus(tmp_path_factory: pytest.TempPathFactory, engine: EspeakEngine) -> tuple[Path, CorpusReport]:
    """English, 2 speakers x 20 clips: 4 clips of each style per speaker."""
    out = tmp_path_factory.mktemp("styled_corpus")
    report = generate_corpus(out, ["en"], 2, 20, sample_rate=SAMPLE_RATE, seed=3, progress=False, engine=engine, styles=STYLES)
    return out, report


@pytest.fixture(scope="module")
def corpus_figures(styled_corpus) -> dict[tuple[str, str | None], ProsodyFigures]:
    return manifest_figures(read_manifest(styled_corpus[0] / "manifest.jsonl"), SAMPLE_RATE)


def test_each_speaker_speaks_every_style_in_turn_and_the_manifest_says_which(styled_corpus):
    out, report = styled_corpus
    assert report.styles == STYLES
    assert json.loads((out / "corpus_report.json").read_text())["styles"] == list(STYLES)
    utterances = read_manifest(out / "manifest.jsonl")
    for speaker in SPEAKERS:
        labels = [u.style for u in utterances if u.speaker == speaker]
        assert labels == [STYLES[n % len(STYLES)] for n in range(20)]
    assert all(u.phonemes is not None for u in utterances)  # whispered clips keep espeak's durations too


def test_the_labels_differ_in_the_labelled_directions(corpus_figures):
    # Measured (en_f3 / en_m1, against neutral): excited +4.4 / +3.7 semitones of F0, range +1.7 / +2.3 st, rate x1.31 /
    # x1.28, +4.6 / +3.8 dB; sad -3.1 / -3.4 st, range -3.3 / -1.3 st, x0.75 / x0.75, -8.2 / -8.3 dB; calm -0.7 / -1.2 st,
    # range -4.1 / -2.0 st, x0.90 / x0.83, -1.5 / -2.2 dB; whisper voiced 4 % / 0 % of frames (neutral 69 % / 71 %),
    # -3.2 / -8.4 dB.
    for speaker in SPEAKERS:
        neutral = corpus_figures[(speaker, "neutral")]
        excited, sad, calm, whisper = (prosody_shift(corpus_figures[(speaker, style)], neutral) for style in ("excited", "sad", "calm", "whisper"))
        assert excited.f0_semitones > 2.0 and excited.range_semitones > 0.5 and excited.rate_ratio > 1.15 and excited.energy_db > 2.0
        assert sad.f0_semitones < -2.0 and sad.range_semitones < -0.7 and sad.rate_ratio < 0.85 and sad.energy_db < -5.0
        assert calm.range_semitones < -1.0 and calm.rate_ratio < 0.93 and abs(calm.f0_semitones) < 1.5
        assert whisper.voiced_fraction < -0.5 and whisper.energy_db < -2.0
        assert corpus_figures[(speaker, "whisper")].voiced_fraction < 0.1


def test_neutral_is_the_speakers_own_voice(styled_corpus, tmp_path, engine):
    # The same plan unlabelled speaks the neutral clips' texts in the same time (not byte for byte: espeak's pitch
    # flutter carries its phase from clip to clip, and the clips before differ).
    out, _ = styled_corpus
    generate_corpus(tmp_path, ["en"], 2, 20, sample_rate=SAMPLE_RATE, seed=3, progress=False, engine=engine)
    plain = {Path(u.audio).name: u for u in read_manifest(tmp_path / "manifest.jsonl")}
    assert all(u.style is None for u in plain.values())
    neutral = [u for u in read_manifest(out / "manifest.jsonl") if u.style == "neutral"]
    assert len(neutral) == 8
    for utterance in neutral:
        twin = plain[Path(utterance.audio).name]
        assert twin.text == utterance.text and twin.duration == pytest.approx(utterance.duration, abs=0.02)


def test_unknown_styles_are_refused_in_one_line_naming_the_known_ones(tmp_path):
    with pytest.raises(CorpusError, match=r"^unknown corpus style\(s\) angry; known: neutral, calm, excited, sad, whisper$"):
        generate_corpus(tmp_path / "a", ["en"], 1, 2, progress=False, styles=("calm", "angry"))
    assert not (tmp_path / "a").exists()
    assert [style.name for style in corpus_styles(["calm", " calm", "sad"])] == ["calm", "sad"]
    result = CliRunner().invoke(app, ["corpus", str(tmp_path / "b"), "--languages", "en", "--styles", "calm,angry"])
    assert result.exit_code == 1
    assert result.stderr.strip() == "error: unknown corpus style(s) angry; known: neutral, calm, excited, sad, whisper"
    result = CliRunner().invoke(app, ["corpus", str(tmp_path / "c"), "--languages", "en", "--styles", "calm", "--teacher", "piper"])
    assert result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 1
    assert "--styles needs --teacher espeak" in result.stderr
    assert not (tmp_path / "b").exists() and not (tmp_path / "c").exists()


def test_every_style_is_documented_and_relative_to_the_speaker():
    from polyvox.data.corpus.speakers import speaker_from_name

    speaker = speaker_from_name("en_f3")
    assert CORPUS_STYLES["neutral"].settings_for(speaker) == speaker.settings
    for style in CORPUS_STYLES.values():
        assert style.description
        settings = style.settings_for(speaker)
        assert 0 <= settings.pitch <= 100 and 0 <= settings.pitch_range <= 100 and not math.isnan(style.gain_db)
    assert CORPUS_STYLES["whisper"].settings_for(speaker).voice_names[0].endswith("+whisperf")
    assert CORPUS_STYLES["whisper"].settings_for(speaker_from_name("en_m1")).voice_names[0].endswith("+whisper")
