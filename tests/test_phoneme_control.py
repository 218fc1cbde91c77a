"""Phoneme-level control (issue #20 item 5): --phonemes bypasses the front end, --score fixes durations and F0.

Measured on the bundled voice: a score's F0 (evaluation's DIO + StoneMask) within 50 cents of every note long
enough to measure, and every note within one frame of its ms in the durations the generator was given.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from polyvox.cli import app
from polyvox.cli_support import DEFAULT_VOICE
from polyvox.errors import PolyvoxError
from polyvox.evaluation.score_check import check_score
from polyvox.inference.phoneme_input import encode_phonemes, text_as_phonemes
from polyvox.inference.result import SynthesisError
from polyvox.inference.score import Score
from polyvox.inference.score_timing import score_timing
from polyvox.inference.voice import Voice
from polyvox.speech_request import SpeechRequest
from polyvox.text.errors import UnknownSymbolError
from polyvox.text.rules import TextRules
from tiny_voices import SPANISH, make_tiny_voice

SCORE_FILE = Path(__file__).parents[1] / "docs" / "scores" / "twinkle.json"
SENTENCE = "The weather in Zürich is fine today."
SINGER = "kokoro_jf_alpha"


@pytest.fixture(scope="module")
def voice() -> Voice:
    return Voice.load(DEFAULT_VOICE)


@pytest.fixture(scope="module")
def tiny_rules(tmp_path_factory: pytest.TempPathFactory) -> TextRules:
    path = make_tiny_voice(tmp_path_factory.mktemp("tiny") / "tiny.safetensors", seed=0)
    return Voice.load(path).text.rules


def frames_per_second(voice: Voice) -> float:
    return voice.sample_rate / voice.metadata.config.audio.hop_length


def test_printed_phonemes_give_the_texts_audio(voice: Voice) -> None:
    phonemes = text_as_phonemes(SENTENCE, voice.text.rules, "en")
    assert phonemes.startswith("ð ə | w ɛ/ˈ ð ɚ ɹ |")  # the features scheme: stress after the slash
    spoken = voice.synthesize(SpeechRequest(phonemes=phonemes, seed=7)).samples
    assert np.array_equal(spoken, voice.synthesize(SENTENCE, seed=7).samples)
    streamed = np.concatenate(list(voice.stream(SpeechRequest(phonemes=phonemes, seed=7), first_chunk_frames=8)))
    np.testing.assert_allclose(streamed, spoken, atol=1e-4)


@pytest.mark.parametrize(("text", "language"), [("Hello world.", "en"), ("The cat sat on the mat.", "en"), (SPANISH, "es")])
def test_features_scheme_phonemes_give_the_texts_ids(tiny_rules: TextRules, text: str, language: str) -> None:
    assert tiny_rules.scheme == "features"
    written = text_as_phonemes(text, tiny_rules, language)
    assert "/" in written  # stress and length travel after the slash
    assert encode_phonemes(written, tiny_rules, language) == tiny_rules.encode(text, language)


def test_fused_symbols_are_read_in_the_features_scheme(tiny_rules: TextRules) -> None:
    fused = encode_phonemes("h ə l ˈoʊ", tiny_rules, "en")
    assert fused == encode_phonemes("h ə l oʊ/ˈ", tiny_rules, "en")


@pytest.mark.parametrize(
    ("phonemes", "fragments"),
    [
        ("h ə l ˈoʊx", ("'oʊx'", "nearest: 'oʊ'", "--list-phonemes")),
        ("h ^ l", ("'^' is reserved", "|")),
        ("h ə/ˈx", ("after '/'",)),
        ("   ", ("empty", "--print-phonemes")),
        ("| | .", ("no sound to say", "only '|' and punctuation")),  # a text of only punctuation is refused too
        ("h " * 2001, ("2001 symbols", "at most 2000", "split them")),
    ],
)
def test_bad_phonemes_are_one_line_errors(voice: Voice, phonemes: str, fragments: tuple[str, ...]) -> None:
    with pytest.raises(PolyvoxError) as raised:
        voice.synthesize(SpeechRequest(phonemes=phonemes))
    assert "\n" not in str(raised.value)
    for fragment in fragments:
        assert fragment in str(raised.value)


def test_score_timing_shares_each_note_between_its_phoneme_and_blank() -> None:
    score = Score.parse({"notes": [{"phoneme": "a", "ms": 100}, {"phoneme": "|", "ms": 20}, {"phoneme": "b", "ms": 36}]})
    ids = [0, 1, 0, 10, 0, 3, 0, 11, 0, 2, 0]  # _ ^ _ a _ | _ b _ $ _
    timing = score_timing(score, ids, [1, 1, 1], predicted=[5, 5, 5, 3, 1, 1, 1, 2, 2, 5, 5], frames_per_second=100.0)
    assert timing.note_frames == [10, 2, 4]  # boundaries at 100, 120 and 156 ms on a 10 ms grid: 10, 12, 16
    assert timing.durations[:3] == [0, 0, 0] and timing.durations[-2:] == [0, 0]  # no frames before or after the notes
    assert timing.durations[3] + timing.durations[4] == 10 and timing.durations[3] > timing.durations[4] >= 1
    assert sum(timing.durations) == sum(timing.note_frames)
    assert all(timing.durations[position] >= 1 for position in (3, 5, 7))


def test_score_sets_durations_within_a_frame_and_f0_within_50_cents(voice: Voice, monkeypatch: pytest.MonkeyPatch) -> None:
    score = Score.read(SCORE_FILE)
    given: list[list[int]] = []
    encode_prior = voice.generator.encode_prior

    def recording(*args, durations=None, **kwargs):  # the durations synthesis hands the generator
        if durations is not None:
            given.append(durations[0].long().tolist())
        return encode_prior(*args, durations=durations, **kwargs)

    monkeypatch.setattr(voice.generator, "encode_prior", recording)
    # The tune sits at 262-440 Hz: sung by the voice's female speaker (its English default is male).
    result = voice.synthesize(SpeechRequest(score=score, seed=1, speaker=SINGER))

    rate = frames_per_second(voice)
    frame_ms = 1000.0 / rate
    (durations,) = given
    request = SpeechRequest(score=score, seed=1, speaker=SINGER)  # the same seed: the same predicted split of each note
    timing = voice.score_timing(voice.text.written(request, "en"), voice.text.options(request), torch.Generator().manual_seed(1))
    assert durations == timing.durations and sum(durations) == sum(timing.note_frames)
    for note, frames in zip(score.notes, timing.note_frames):
        assert abs(frames * frame_ms - note.duration_ms) <= frame_ms
    total_ms = sum(note.duration_ms for note in score.notes)
    assert abs(result.duration_s * 1000.0 - total_ms) <= frame_ms / 2
    assert len(result.samples) == sum(durations) * voice.metadata.config.audio.hop_length

    check = check_score(result.samples, voice.sample_rate, score, rate)
    vowels = [note for note in check.notes if note.phoneme in ("ˈɪ", "əl", "ˈɑːɹ")]
    assert all(note.cents_error is not None for note in vowels)  # every vowel voiced and measured
    assert check.worst_cents() <= 50.0


def test_score_energy_changes_the_notes_loudness(voice: Voice) -> None:
    notes = [{"phoneme": "l", "ms": 80, "midi": 60}, {"phoneme": "ˈɑː", "ms": 400, "midi": 60},
             {"phoneme": "l", "ms": 80, "midi": 62}, {"phoneme": "ˈɑː", "ms": 400, "midi": 62}]
    quieter = [*notes[:3], {**notes[3], "energy_db": -6.0}]
    plain = voice.synthesize(SpeechRequest(score={"notes": notes}, seed=2)).samples
    softer = voice.synthesize(SpeechRequest(score={"notes": quieter}, seed=2)).samples
    middle = slice(int(0.65 * voice.sample_rate), int(0.9 * voice.sample_rate))  # inside the last vowel
    first = slice(int(0.15 * voice.sample_rate), int(0.4 * voice.sample_rate))

    def rms_db(samples: np.ndarray) -> float:
        return 20 * np.log10(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))

    assert rms_db(softer[middle]) - rms_db(plain[middle]) == pytest.approx(-6.0, abs=1.0)
    assert rms_db(softer[first]) == pytest.approx(rms_db(plain[first]), abs=0.1)


def test_score_streams_as_one_chunk(voice: Voice) -> None:
    request = SpeechRequest(score=Score.read(SCORE_FILE), seed=1)
    chunks = list(voice.stream(request))
    assert len(chunks) == 1
    np.testing.assert_array_equal(chunks[0], voice.synthesize(request).samples)


BAD_SCORES = [
    ("not an object", [1, 2], ('"notes" list',)),
    ("negative duration", {"notes": [{"phoneme": "l", "ms": -5}]}, ("note 1", '"ms"', "above 0")),
    ("pitch out of range", {"notes": [{"phoneme": "l", "ms": 50, "midi": 100}]}, ("out of range", "71 to 800 Hz")),
    ("pitch twice", {"notes": [{"phoneme": "l", "ms": 50, "midi": 60, "hz": 200}]}, ("not both",)),
    ("unknown field", {"notes": [{"phoneme": "l", "ms": 50, "pitch": 60}]}, ("unknown field", "pitch")),
    ("two phonemes in a note", {"notes": [{"phoneme": "l a", "ms": 50}]}, ("one symbol",)),
    ("too loud", {"notes": [{"phoneme": "l", "ms": 50, "energy_db": 40}]}, ("energy_db",)),
    ("too long", {"notes": [{"phoneme": "l", "ms": 10_000}] * 61}, ("610 s", "split it")),
    ("duration not a number", {"notes": [{"phoneme": "l", "ms": "80"}]}, ("ms must be a number",)),
    ("MIDI note beyond a float's Hz", {"notes": [{"phoneme": "l", "ms": 50, "midi": 1e308}]}, ("MIDI 1e+308 is out of range",)),
    ("unknown score field", {"notes": [{"phoneme": "l", "ms": 50}], "tempo": 120}, ("unknown field", "tempo")),
]


@pytest.mark.parametrize(("value", "fragments"), [case[1:] for case in BAD_SCORES], ids=[case[0] for case in BAD_SCORES])
def test_bad_scores_are_one_line_errors(value: object, fragments: tuple[str, ...]) -> None:
    with pytest.raises(SynthesisError) as raised:
        SpeechRequest(score=value)
    assert "\n" not in str(raised.value)
    for fragment in fragments:
        assert fragment in str(raised.value)


def test_score_phoneme_the_voice_lacks(voice: Voice) -> None:
    with pytest.raises(UnknownSymbolError, match=r"phoneme 2 'ħ' is not a symbol of this voice; nearest"):
        voice.synthesize(SpeechRequest(score={"notes": [{"phoneme": "l", "ms": 80}, {"phoneme": "ħ", "ms": 80}]}))


def test_text_phonemes_and_score_are_given_once() -> None:
    with pytest.raises(SynthesisError, match="not both"):
        SpeechRequest("Hello", phonemes="h ə")
    with pytest.raises(SynthesisError, match="a score carries its own phonemes"):
        SpeechRequest(phonemes="h ə", score={"notes": [{"phoneme": "a", "ms": 100}]})
    with pytest.raises(SynthesisError, match="leave speed at 1"):
        SpeechRequest(score={"notes": [{"phoneme": "a", "ms": 100}]}, speed=1.5)


def test_pitch_may_not_move_a_score_out_of_range() -> None:
    notes = {"notes": [{"phoneme": "l", "ms": 80}, {"phoneme": "a", "ms": 300, "midi": 64}]}  # 329.6 Hz
    assert SpeechRequest(score=notes, pitch=12).pitch == 12  # 659.3 Hz
    with pytest.raises(SynthesisError) as raised:
        SpeechRequest(score=notes, pitch=24)
    assert str(raised.value).startswith("pitch +24 moves note 2 ('a') from 329.6 to 1318.5 Hz, outside 71 to 800 Hz")
    with pytest.raises(SynthesisError, match=r"note 1 \('a'\) from 110.0 to 55.0 Hz"):
        SpeechRequest(score={"notes": [{"phoneme": "a", "ms": 300, "midi": 45}]}, pitch=-12)
    assert SpeechRequest(score={"notes": [{"phoneme": "s", "ms": 80}]}, pitch=24).pitch == 24  # no pitch to move


def run_say(*args: str):
    return CliRunner().invoke(app, ["say", *args])


def test_say_with_phonemes_and_score(tmp_path: Path) -> None:
    out = tmp_path / "sung.wav"
    result = run_say("--score", str(SCORE_FILE), "--seed", "1", "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.exists()
    printed = run_say("Hello world.", "--print-phonemes")
    assert printed.exit_code == 0 and printed.output.strip() == "h ə l oʊ/ˈ | w ɜ/ˈː l d ."
    spoken = run_say("--phonemes", printed.output.strip(), "-o", str(tmp_path / "hello.wav"))
    assert spoken.exit_code == 0, spoken.output


@pytest.mark.parametrize(
    ("content", "fragment"),
    [('{"notes": [{"phoneme": "l", "ms": 50', "not valid JSON"), ('{"notes": [{"phoneme": "l", "ms": 0}]}', "above 0")],
)
def test_say_refuses_a_bad_score_in_one_line(tmp_path: Path, content: str, fragment: str) -> None:
    score = tmp_path / "notes.json"
    score.write_text(content, encoding="utf-8")
    out = tmp_path / "out.wav"
    result = run_say("--score", str(score), "-o", str(out))
    assert result.exit_code == 1 and not out.exists()
    lines = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and fragment in lines[0]


def test_print_phonemes_reads_a_text_only(tmp_path: Path) -> None:
    refused = run_say("--print-phonemes", "--phonemes", "h ə")
    assert refused.exit_code == 1 and "give TEXT, not --phonemes" in refused.output


def test_say_refuses_score_with_batch_and_onnx(tmp_path: Path) -> None:
    batch = tmp_path / "lines.txt"
    batch.write_text("Hello.\n", encoding="utf-8")
    refused = run_say("--score", str(SCORE_FILE), "--batch", str(batch), "-o", str(tmp_path / "out"))
    assert refused.exit_code == 1 and "drop --batch" in refused.output
    onnx = run_say("--score", str(SCORE_FILE), "--engine", "onnx", "--voice", str(tmp_path / "v.onnx"), "-o", str(tmp_path / "a.wav"))
    assert onnx.exit_code == 1 and "torch engine" in onnx.output


def test_score_file_matches_the_docs() -> None:
    docs = (Path(__file__).parents[1] / "docs" / "synthesis.md").read_text(encoding="utf-8")
    assert "polyvox say --score docs/scores/twinkle.json" in docs
    assert json.loads(SCORE_FILE.read_text(encoding="utf-8"))["notes"]


def test_the_onnx_engine_speaks_phonemes_and_refuses_a_score(tmp_path: Path) -> None:
    pytest.importorskip("onnxruntime")
    from onnx_voices import make_voice

    from polyvox.export.onnx_export import export_onnx
    from polyvox.inference.onnx_voice import OnnxVoice

    voice_path = make_voice(tmp_path / "tiny.safetensors", "istft", 0.5)
    export_onnx(voice_path, tmp_path / "voice.onnx")
    onnx_voice = OnnxVoice.load(tmp_path / "voice.onnx", threads=1)
    phonemes = text_as_phonemes("Hello world.", onnx_voice.text.rules, "en")
    by_phonemes = onnx_voice.synthesize(SpeechRequest(phonemes=phonemes, seed=4)).samples
    np.testing.assert_array_equal(by_phonemes, onnx_voice.synthesize("Hello world.", seed=4).samples)
    streamed = np.concatenate(list(onnx_voice.stream(SpeechRequest(phonemes=phonemes, seed=4))))
    np.testing.assert_allclose(streamed, by_phonemes, atol=1e-4)
    with pytest.raises(SynthesisError, match="needs the PyTorch engine"):
        onnx_voice.synthesize(SpeechRequest(score={"notes": [{"phoneme": "h", "ms": 80}]}))


def test_a_score_without_pitch_or_energy_keeps_the_models_audio() -> None:
    from polyvox.audio.pitch_curve import NoteTrack, follow_notes

    samples = np.random.default_rng(0).standard_normal(4000).astype(np.float32) * 0.1
    assert follow_notes(samples, 22050, NoteTrack((0.1, 0.2), (None, None), (0.0, 0.0))) is samples
    assert follow_notes(samples, 22050, NoteTrack((0.1, 0.2), (None, 220.0), (0.0, 0.0))) is not samples
