"""A style label's prosody correction: WORLD reshapes a clip as asked (pitch, range, whisper, level), the stored table
is read with bad entries ignored, a request scales it by its style strength, and a fine-tune measures each label
against neutral in the voice's speech and the recordings and stores what the voice misses."""

from __future__ import annotations

import dataclasses
import json
import re
import logging
import math

import numpy as np
import pytest
from scipy.signal import lfilter

from polyvox.audio.pitch import shift_pitch
from polyvox.audio.prosody_shape import ProsodyShape, moved_f0, shape_prosody
from polyvox.evaluation.prosody import ProsodyFigures, prosody_figures
from polyvox.finetune.style_match import LabelGap, label_gap, pitch_correction, range_ratio_error
from polyvox.inference.style_prosody import STYLE_PROSODY_INFO, LabelProsody, style_prosody

RATE = 22050
FRAME_RATE = RATE / 256


def intoned_vowel(seconds: float = 1.2, low_hz: float = 150.0, high_hz: float = 240.0) -> np.ndarray:
    """A pulse train gliding up and down between ``low_hz`` and ``high_hz`` through two formant resonators: an /a/
    with an intonation of known range."""
    times = np.arange(int(seconds * RATE)) / RATE
    f0 = np.exp(np.log(low_hz) + (np.log(high_hz) - np.log(low_hz)) * 0.5 * (1 - np.cos(2 * np.pi * times / seconds)))
    phase = np.cumsum(f0 / RATE)
    samples = (np.diff(np.floor(phase), prepend=0.0) > 0).astype(np.float64)
    for centre, bandwidth in ((700.0, 90.0), (1200.0, 110.0)):
        radius = np.exp(-np.pi * bandwidth / RATE)
        samples = lfilter([1.0 - radius], [1.0, -2 * radius * np.cos(2 * np.pi * centre / RATE), radius**2], samples)
    return (0.5 * samples / np.max(np.abs(samples))).astype(np.float32)


@pytest.fixture(scope="module")
def vowel() -> np.ndarray:
    return intoned_vowel()


@pytest.fixture(scope="module")
def vowel_figures(vowel) -> ProsodyFigures:
    return prosody_figures(vowel, RATE)


def test_a_shape_moves_the_pitch_scales_its_range_and_sets_the_level(vowel, vowel_figures):
    # Measured: the vowel 190 Hz mean, range 7.6 st; shaped +3 st, x1.5: +3.0 st, 11.4 st; +4 dB within 0.1.
    shaped = prosody_figures(shape_prosody(vowel, RATE, ProsodyShape(semitones=3.0, range_factor=1.5, gain_db=4.0)), RATE)
    assert 12 * math.log2(shaped.f0_mean_hz / vowel_figures.f0_mean_hz) == pytest.approx(3.0, abs=0.4)
    assert shaped.f0_range_semitones == pytest.approx(1.5 * vowel_figures.f0_range_semitones, rel=0.15)
    narrowed = prosody_figures(shape_prosody(vowel, RATE, ProsodyShape(range_factor=0.5)), RATE)
    assert narrowed.f0_range_semitones == pytest.approx(0.5 * vowel_figures.f0_range_semitones, rel=0.2)
    assert narrowed.f0_mean_hz == pytest.approx(vowel_figures.f0_mean_hz, rel=0.05)
    quieter = prosody_figures(shape_prosody(vowel, RATE, ProsodyShape(gain_db=-6.0)), RATE)
    assert quieter.rms_db - vowel_figures.rms_db == pytest.approx(-6.0, abs=0.05)


def test_a_whispered_shape_is_unvoiced_and_a_pitch_alone_is_the_pitch_shift(vowel, vowel_figures):
    assert vowel_figures.voiced_fraction > 0.8
    whispered = prosody_figures(shape_prosody(vowel, RATE, ProsodyShape(unvoiced=True)), RATE)
    assert whispered.voiced_fraction < 0.1 and math.isnan(whispered.f0_mean_hz)
    assert shape_prosody(vowel, RATE, ProsodyShape()) is vowel  # nothing asked: untouched, not resynthesised
    np.testing.assert_array_equal(shape_prosody(vowel, RATE, ProsodyShape(semitones=2.0)), shift_pitch(vowel, RATE, 2.0))
    assert ProsodyShape(gain_db=3.0).identity is False and ProsodyShape(gain_db=3.0).resynthesised is False


def test_the_stored_table_is_read_and_bad_entries_are_ignored(caplog):
    labels = ("neutral", "excited", "whisper")
    entry = {"semitones": 3.2, "range": 1.4, "unvoiced": False, "gain_db": 1.5}
    table = {STYLE_PROSODY_INFO: json.dumps({"excited": entry, "whisper": {"unvoiced": True, "gain_db": -4.0}})}
    assert style_prosody(table, labels) == {"excited": LabelProsody(3.2, 1.4, False, 1.5), "whisper": LabelProsody(0.0, 1.0, True, -4.0)}
    assert style_prosody({}, labels) == {}
    with caplog.at_level(logging.WARNING):
        assert style_prosody({STYLE_PROSODY_INFO: "{"}, labels) == {}
        bad = {"excited": {"semitones": 40}, "sad": entry, "whisper": {"range": 9.0}, "neutral": {"unvoiced": "yes"}}
        assert style_prosody({STYLE_PROSODY_INFO: json.dumps(bad)}, labels) == {}
    assert "not a JSON object" in caplog.text and all(f"'{label}'" in caplog.text for label in bad)


def test_a_range_factor_scales_the_contour_and_leaves_the_jitter_on_it():
    # Two voiced stretches: a slow glide (+-3 semitones) with +-0.5 semitone frame-to-frame jitter on it.
    frames = np.arange(400)
    contour = 3.0 * np.sin(2 * np.pi * frames / 400)
    jitter = 0.5 * (-1.0) ** frames
    f0 = 150.0 * 2 ** ((contour + jitter) / 12)
    f0[190:210] = 0.0
    voiced = f0 > 0
    widened = 12 * np.log2(moved_f0(f0, 0.0, 2.0, contour_frames=21)[voiced] / 150.0)
    centre = 12 * np.log2(f0[voiced] / 150.0).mean()
    inside = np.zeros(400, dtype=bool)
    inside[20:170] = inside[230:380] = True  # away from the stretches' ends, where the average holds the edge
    expected = centre + 2.0 * (contour - centre) + jitter
    np.testing.assert_allclose(widened[inside[voiced]], expected[voiced & inside], atol=0.05)
    assert np.all(moved_f0(f0, 0.0, 2.0, contour_frames=21)[~voiced] == 0.0)
    # Frame by frame (the corpus styles' way), the jitter doubles with the contour.
    every_frame = 12 * np.log2(moved_f0(f0, 0.0, 2.0)[voiced] / 150.0)
    np.testing.assert_allclose(every_frame, centre + 2.0 * (contour + jitter - centre)[voiced], atol=1e-9)


def test_a_request_takes_the_correction_at_its_style_strength():
    correction = LabelProsody(semitones=4.0, range_factor=2.0, unvoiced=True, gain_db=-6.0)
    assert correction.at_strength(1.0, semitones=1.0) == ProsodyShape(5.0, 2.0, True, -6.0)
    half = correction.at_strength(0.5)
    assert half.semitones == 2.0 and half.range_factor == pytest.approx(math.sqrt(2.0)) and half.unvoiced and half.gain_db == -3.0
    assert correction.at_strength(0.4).unvoiced is False
    assert correction.at_strength(0.0) == ProsodyShape(0.0, 1.0, False, 0.0)


def figures(f0_hz: float, range_st: float, voiced: float, db: float) -> ProsodyFigures:
    return ProsodyFigures(f0_hz, range_st, voiced, 2.0, math.nan, db)


def test_the_gap_is_what_the_voice_misses_of_the_recordings_shift():
    recorded = {"neutral": figures(200.0, 6.0, 0.7, -25.0), "excited": figures(200.0 * 2 ** (4 / 12), 9.0, 0.7, -21.0),
                "whisper": figures(math.nan, math.nan, 0.03, -32.0)}
    spoken = {"neutral": figures(180.0, 5.0, 0.6, -26.0), "excited": figures(180.0 * 2 ** (1 / 12), 5.5, 0.6, -24.0),
              "whisper": figures(178.0, 5.0, 0.55, -28.0)}
    excited = label_gap(recorded, spoken, "excited", FRAME_RATE)
    semitones, factor, unvoiced = pitch_correction([excited])
    # 4 semitones recorded, 1 spoken: 3 more; the recordings widen the range x1.5 (6 -> 9 st), the voice x1.1 (5 -> 5.5).
    assert semitones == pytest.approx(3.0) and factor == pytest.approx(1.5 / 1.1) and not unvoiced
    whisper = label_gap(recorded, spoken, "whisper", FRAME_RATE)
    assert whisper.recorded_whisper and not whisper.spoken_whisper
    assert pitch_correction([whisper]) == (0.0, 1.0, True)
    # A voice at its frame-rate buzz has no pitch to correct; a gap under half a semitone is not worth a resynthesis.
    buzz = {label: figures(FRAME_RATE, 5.0, 0.6, -26.0) for label in spoken}
    assert pitch_correction([label_gap(recorded, buzz, "excited", FRAME_RATE)]) == (0.0, 1.0, False)
    close = LabelGap(0.3, 0.0, 0.2, 0.0, 1.04, 1.0, False, False, 0.0, True)
    assert pitch_correction([close]) == (0.0, 1.0, False)
    # A range change within twice its standard error (the clips' scatter) is left alone; the pitch is still moved.
    scattered = dataclasses.replace(excited, range_error=0.55 * math.log(1.5 / 1.1))
    assert pitch_correction([scattered]) == (pytest.approx(3.0), 1.0, False)
    assert pitch_correction([dataclasses.replace(excited, range_error=0.45 * math.log(1.5 / 1.1))])[1] == pytest.approx(1.5 / 1.1)


def test_the_range_error_is_the_clips_scatter_over_their_number():
    steady = [figures(200.0, 6.0, 0.7, -25.0)] * 4
    assert range_ratio_error(steady, steady, steady, steady) == 0.0
    spread = [figures(200.0, value, 0.7, -25.0) for value in (4.0, 6.0, 8.0)]  # mean 6, sd 2: relative 1/3 over 3 clips
    assert range_ratio_error(spread, steady) == pytest.approx(math.sqrt((1 / 3) ** 2 / 3))
    assert range_ratio_error(spread[:1], steady) == math.inf  # one clip has no scatter to read
    # The voice's clips are pairs (one sentence under the label and under neutral): only their ratios' scatter counts.
    widened = [figures(200.0, 1.5 * value, 0.7, -25.0) for value in (4.0, 6.0, 8.0)]
    assert range_ratio_error(steady, steady, widened, spread) == pytest.approx(0.0, abs=1e-12)
    assert range_ratio_error(steady, steady, widened, spread[::-1]) > 0.2


# Eight "recordings" a style: the range's correction is kept only when the clips agree on it (RANGE_CONFIDENCE), and the
# step-7500 voice's contours scatter more than four clips settle (range x1.41, its log's error 0.20: not kept).
SENTENCES = ("The cat sat on the mat by the door.", "A bird flew over the river at noon.", "We walked home in the cold rain.",
             "She reads a long book every night.", "The children played in the park after school.",
             "He bought fresh bread at the corner shop.", "The wind blew the leaves across the road.",
             "I left my keys on the kitchen table.")
HELD_OUT = ("My brother painted the fence on Sunday.", "The old train stopped at every small town.",
            "Please put the books back on the shelf by the window.", "Our train was late, so we waited on the cold platform.")
EXCITED = ProsodyShape(semitones=3.0, range_factor=1.5, gain_db=3.0)  # on top of the recordings' neutral
WHISPER = ProsodyShape(unvoiced=True, gain_db=-6.0)
# The bundled voice's kokoro_jf_alpha (about 285 Hz) lowered: a stored speaker shift the corrections add to. (Not its
# piper_joe: the tracker finds too few periodic frames in that speaker's speech to read a pitch.)
SPEAKER_SHIFT = -4.0


@pytest.fixture(scope="module")
def style_recordings(tmp_path_factory):
    """The bundled voice's kokoro_jf_alpha, 4 semitones down, as "recordings" in three styles: neutral, excited (3 semitones higher,
    a 1.5 times wider pitch range, 3 dB louder) and whispered; and a copy of the voice storing that shift."""
    import shutil

    import soundfile

    from polyvox.cli_support import DEFAULT_VOICE
    from polyvox.data.manifest import Utterance, write_manifest
    from polyvox.inference.speaker_pitch import SPEAKER_PITCH_INFO
    from polyvox.inference.voice import Voice
    from polyvox.voice_file import load_voice_file, save_voice

    folder = tmp_path_factory.mktemp("style_recordings")
    voice = Voice.load(DEFAULT_VOICE)
    clips = []
    for index, text in enumerate(SENTENCES):
        spoken = voice.synthesize(text, language="en", speaker="kokoro_jf_alpha", seed=index).samples
        for style, shape in (("neutral", ProsodyShape(SPEAKER_SHIFT)), ("excited", dataclasses.replace(EXCITED, semitones=SPEAKER_SHIFT + 3.0)),
                             ("whisper", WHISPER)):
            path = folder / f"{style}_{index}.wav"
            soundfile.write(path, shape_prosody(spoken, RATE, shape), RATE)
            clips.append(Utterance(audio=str(path), text=text, speaker="kokoro_jf_alpha", language="en", duration=spoken.size / RATE, style=style))
    write_manifest(folder / "manifest.jsonl", clips)
    tensors, metadata = load_voice_file(shutil.copy(DEFAULT_VOICE, folder / "source.safetensors"))
    info = dict(metadata.info, **{SPEAKER_PITCH_INFO: json.dumps({"kokoro_jf_alpha": SPEAKER_SHIFT})})
    save_voice(folder / "source.safetensors", tensors, dataclasses.replace(metadata, info=info), half=True)
    return folder


def test_a_fine_tune_reports_each_labels_gap_and_once_stored_the_labels_speak_the_recordings_shifts(style_recordings, tmp_path):
    """Two steps barely teach the new labels anything: the report gives the whole of each recorded shift as the gap, and
    once stored (``--match-style``) the voice's labels move as the recordings do, on sentences it never heard."""
    from typer.testing import CliRunner

    from polyvox.cli import app
    from polyvox.data.manifest import read_manifest
    from polyvox.evaluation.prosody import manifest_figures, prosody_shift, spoken_figures
    from polyvox.finetune.style_match import match_style_prosody
    from polyvox.inference.voice import Voice
    from polyvox.voice_file import read_metadata

    output = tmp_path / "styled.safetensors"
    result = CliRunner().invoke(app, [
        "finetune", "--from", str(style_recordings / "source.safetensors"), "--data", str(style_recordings / "manifest.jsonl"),
        "-o", str(output), "--run-dir", str(tmp_path / "run"), "--steps", "2", "--learning-rate", "1e-6", "--freeze", "all",
        "--set", "model.style.enabled=true", "--set", 'model.style.labels=["neutral","excited","whisper"]',
        "--set", "training.precision=32", "--set", "training.batch_size=4", "--threads", "1",
    ])
    assert result.exit_code == 0, result.output
    # Measured: excited recordings F0 +3.4 st, range +2.4 st, +3.3 dB (WORLD's tracker on the decoder's speech reads the
    # +3 semitones a little long), the voice +0.0, +0.0, +0.0: "+3.4 semitones, range x1.42, +3.6 dB would close it".
    recorded_f0 = re.search(r"style: emotion excited: recordings F0 ([+-][0-9.]+) st", result.output)
    assert recorded_f0 is not None and float(recorded_f0.group(1)) == pytest.approx(3.0, abs=0.8)
    assert "the voice F0 +0.0 st" in result.output
    assert "--match-style stores it in the voice" in result.output and "style: emotion whisper: recordings unvoiced" in result.output
    assert STYLE_PROSODY_INFO not in read_metadata(output).info
    matches = {match.label: match for match in match_style_prosody(output, read_manifest(style_recordings / "manifest.jsonl"), half=True)}
    excited, whisper = matches["excited"].correction, matches["whisper"].correction
    # Measured: +3.4 semitones, range x1.42 (the recordings' x1.5), +3.6 dB (step 7500 with eight clips: range x1.43).
    assert excited.semitones == pytest.approx(3.0, abs=0.8) and excited.range_factor == pytest.approx(1.5, abs=0.2)
    assert excited.gain_db == pytest.approx(3.0, abs=1.0) and not excited.unvoiced
    assert whisper.unvoiced and whisper.semitones == 0.0
    assert set(json.loads(read_metadata(output).info[STYLE_PROSODY_INFO])) == {"excited", "whisper"}

    voice = Voice.load(output)
    figures = {label: spoken_figures(voice, HELD_OUT, ("kokoro_jf_alpha",), emotion=label) for label in ("neutral", "excited", "whisper")}
    shift = prosody_shift(figures["excited"], figures["neutral"])
    recordings = manifest_figures(read_manifest(style_recordings / "manifest.jsonl"), RATE)
    recorded = prosody_shift(recordings[("kokoro_jf_alpha", "excited")], recordings[("kokoro_jf_alpha", "neutral")])
    # Measured: +3.7 st against the recordings' +3.4, +4.0 dB against +3.3. The range is left to the vowel test above:
    # over four sentences it moves with the sentences as much as with the label (+2.1 st here against the recordings'
    # +2.4; the voice shipped before read +0.7 on the fine-tune's sentences and -1.5 on these, with the same x1.36).
    assert shift.f0_semitones == pytest.approx(recorded.f0_semitones, abs=0.7)
    assert shift.energy_db == pytest.approx(recorded.energy_db, abs=1.5)
    assert figures["whisper"].voiced_fraction < 0.25 * figures["neutral"].voiced_fraction
    whispered = prosody_shift(figures["whisper"], figures["neutral"]).energy_db
    assert whispered == pytest.approx(prosody_shift(recordings[("kokoro_jf_alpha", "whisper")], recordings[("kokoro_jf_alpha", "neutral")]).energy_db, abs=1.5)
    # The label's correction is WORLD's reshaping of the label as trained, at the request's strength, after the speaker's
    # own shift; a sentence with one comes whole when streamed.
    raw = Voice.load(output)
    raw.text.style_prosody, raw.text.speaker_pitch = {}, {}
    trained = raw.synthesize(HELD_OUT[0], speaker="kokoro_jf_alpha", emotion="excited", style_strength=0.5, seed=3).samples
    corrected = voice.synthesize(HELD_OUT[0], speaker="kokoro_jf_alpha", emotion="excited", style_strength=0.5, seed=3).samples
    np.testing.assert_array_equal(corrected, shape_prosody(trained, RATE, voice.text.style_prosody["excited"].at_strength(0.5, SPEAKER_SHIFT)))
    chunks = list(voice.stream(HELD_OUT[0], speaker="kokoro_jf_alpha", emotion="excited", style_strength=0.5, seed=3))
    assert len(chunks) == 1
    np.testing.assert_allclose(chunks[0], corrected, atol=1e-6)


def test_a_trained_style_voice_is_measured_too_and_match_style_stores_it(style_recordings, tmp_path):
    """``polyvox train`` on labelled data reports each label's gap as the fine-tune does; a tiny voice makes no pitch of
    its own (its F0 is its frame-rate buzz), so only the level and the whisper are corrected, and the report says why."""
    from typer.testing import CliRunner

    from polyvox.cli import app
    from polyvox.inference.style_prosody import style_prosody
    from polyvox.voice_file import read_metadata

    result = CliRunner().invoke(app, [
        "train", "-d", str(style_recordings / "manifest.jsonl"), "-o", str(tmp_path / "run"), "--preset", "tiny",
        "--max-steps", "2", "--set", "model.style.enabled=true",  # the labels come from the manifest
        "--set", "training.precision=32", "--set", "training.batch_size=4", "--threads", "1", "--match-style",
    ])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("style: emotion ")]
    assert [line.split()[2].rstrip(":") for line in lines] == ["excited", "whisper"]
    assert "style: emotion whisper: recordings unvoiced" in result.output and "from now on (WORLD, as --pitch)" in result.output
    assert lines[0].endswith("its pitch is left alone: the voice's F0 is too sparse or sits on its frame-rate buzz to measure")
    assert "left alone" not in lines[1]
    metadata = read_metadata(tmp_path / "run" / "voice.safetensors")
    stored = style_prosody(metadata.info, metadata.config.model.style.labels)
    assert stored["whisper"].unvoiced and stored["excited"].gain_db > 1.0


def test_a_style_reference_takes_the_correction_of_the_label_it_lies_nearest_as_far_as_it_lies_along():
    from polyvox.inference.style_prosody import nearest_label

    labels = ("neutral", "excited", "sad")
    neutral = np.zeros(3)
    rows = np.array([[0.1, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, -0.4, 0.8]])
    assert nearest_label(rows[1], neutral, rows, labels) == ("excited", pytest.approx(1.0))
    assert nearest_label(np.array([0.0, 0.6, 0.1]), neutral, rows, labels) == ("excited", pytest.approx(0.6))
    assert nearest_label(np.array([0.0, 3.0, 0.0]), neutral, rows, labels) == ("excited", 2.0)  # at most strength 2
    assert nearest_label(np.array([0.0, -0.2, 0.5]), neutral, rows, labels)[0] == "sad"
    assert nearest_label(np.array([0.0, 0.05, -0.3]), neutral, rows, labels) is None  # nearer neutral than any row
    assert nearest_label(np.array([0.0, 0.1, 0.0]), neutral, rows[:0], ()) is None


def test_match_style_without_a_neutral_label_says_it_measured_nothing(style_recordings, tmp_path):
    from typer.testing import CliRunner

    from polyvox.cli import app
    from polyvox.data.manifest import read_manifest, write_manifest

    relabelled = [dataclasses.replace(u, style="calm" if u.style == "neutral" else u.style)
                  for u in read_manifest(style_recordings / "manifest.jsonl")]
    write_manifest(tmp_path / "manifest.jsonl", relabelled)
    result = CliRunner().invoke(app, [
        "train", "-d", str(tmp_path / "manifest.jsonl"), "-o", str(tmp_path / "run"), "--preset", "tiny", "--max-steps", "1",
        "--set", "model.style.enabled=true", "--set", "training.precision=32", "--threads", "1", "--match-style",
    ])
    assert result.exit_code == 0, result.output
    assert "style: nothing measured or stored: --match-style needs a voice with style labels, one of them 'neutral'" in result.output
