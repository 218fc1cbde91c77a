"""A teacher's own phoneme durations: matched to the front end's tokens, written into a revoiced corpus, and
taken by training (exactly, or as windows for the alignment search of voices that number characters)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from polyvox.config import preset
from polyvox.data.corpus import generate_corpus
from polyvox.data.corpus.revoice import revoice_corpus
from polyvox.data.corpus.teacher import TeacherSpeech
from polyvox.data.corpus.teacher_durations import teacher_token_durations
from polyvox.data.dataset import DURATION_WINDOW_SLACK_FRAMES, RESERVED_IDS, collate, encode_utterance
from polyvox.data.manifest import read_manifest
from polyvox.models.alignment import monotonic_alignment_search, within_windows
from polyvox.text.frontend import TextFrontend
from polyvox.text.rules import TextRules
from polyvox.text.symbols import SymbolTable

RATE = 24000
SYMBOL_SECONDS = 0.04
SILENCE_SECONDS = 0.3


def test_each_token_gets_the_samples_of_the_teacher_characters_it_matches():
    tokens = ["k", "ˈa", "s", "a", " ", "."]
    symbols = ("", "k", "ˈ", "a", "s", "a", " ", ".", "")
    samples = (100, 10, 5, 20, 30, 40, 7, 9, 50)
    durations = teacher_token_durations(tokens, symbols, samples, "es")
    # The silence before speech goes to the first token, the silence after to the last.
    assert durations.tolist() == [110, 25, 30, 40, 7, 59]


def test_japanese_romaji_tokens_match_kokoros_ipa():
    tokens = ["ky", "o", "o", "w", "a"]
    symbols = ("", "k", "ʲ", "o", "ː", "β", "a", "")
    durations = teacher_token_durations(tokens, symbols, (50, 3, 4, 5, 6, 7, 8, 9), "ja")
    assert durations.tolist() == [50 + 3 + 4, 5, 6, 7, 8 + 9]  # the length mark times the long vowel's second "o"


def test_a_teacher_reading_of_another_sentence_gives_no_durations():
    assert teacher_token_durations(["k", "a", "s", "a"], ("", "p", "e", "r", "o", ""), (1, 2, 3, 4, 5, 6), "es") is None


class TimedTeacher:
    """Speaks the front end's characters, SYMBOL_SECONDS each, between two stretches of silence, as Kokoro
    does: its symbols and their samples come with the audio."""

    name = "timed"
    licence = "test"

    def __init__(self) -> None:
        self.frontend = TextFrontend(("es",))
        self.calls = 0

    def voices(self, language: str) -> tuple[str, ...]:
        return ("one",) if language == "es" else ()

    def speak(self, text: str, language: str, voice: str) -> TeacherSpeech:
        self.calls += 1
        characters = [c for token in self.frontend.phonemize(text, language) for c in token.symbol]
        symbol, silence = int(RATE * SYMBOL_SECONDS), int(RATE * SILENCE_SECONDS)
        speech = 0.3 * np.sin(2 * np.pi * 200 * np.arange(symbol * len(characters)) / RATE)
        audio = np.concatenate([np.zeros(silence), speech, np.zeros(silence)]).astype(np.float32)
        return TeacherSpeech(audio, RATE, ("", *characters, ""), (silence, *[symbol] * len(characters), silence))


@pytest.fixture()
def timed_corpus(tmp_path: Path, engine) -> Path:
    corpus = tmp_path / "corpus"
    generate_corpus(corpus, ["es"], 1, 3, seed=3, progress=False, engine=engine)
    (assignment,) = revoice_corpus(corpus, {"es": (TimedTeacher(),)}, 22050)
    assert (assignment.clips, assignment.timed_clips) == (3, 3)  # what the command reports
    return corpus


def test_a_revoiced_clip_keeps_the_front_ends_tokens_with_the_teachers_durations(timed_corpus: Path):
    frontend = TextFrontend(("es",))
    for utterance in read_manifest(timed_corpus / "manifest.jsonl"):
        tokens = [token.symbol for token in frontend.phonemize(utterance.text, "es")]
        assert list(utterance.phonemes) == tokens
        assert abs(sum(utterance.phoneme_durations) - utterance.duration) < 1.5 / 22050
        inner = np.array(utterance.phoneme_durations[1:-1])
        expected = np.array([SYMBOL_SECONDS * len(token) for token in tokens[1:-1]])
        assert np.abs(inner - expected).max() < 2 / 22050  # the teacher's timing, resampled
        # Trimming left 0.1 s of the teacher's leading silence, which the first token carries.
        assert abs(utterance.phoneme_durations[0] - (0.1 + SYMBOL_SECONDS * len(tokens[0]))) < 2 / 22050


def test_an_interrupted_run_keeps_the_durations_of_the_clips_it_finished(tmp_path: Path, engine, monkeypatch):
    corpus = tmp_path / "corpus"
    generate_corpus(corpus, ["es"], 1, 3, seed=3, progress=False, engine=engine)
    teacher = TimedTeacher()
    original = teacher.speak

    def stops_on_the_third(text: str, language: str, voice: str) -> TeacherSpeech:
        if teacher.calls == 2:
            raise KeyboardInterrupt
        return original(text, language, voice)

    monkeypatch.setattr(teacher, "speak", stops_on_the_third)
    with pytest.raises(KeyboardInterrupt):
        revoice_corpus(corpus, {"es": (teacher,)}, 22050)
    again = TimedTeacher()
    revoice_corpus(corpus, {"es": (again,)}, 22050)
    assert again.calls == 1
    assert all(u.phoneme_durations is not None for u in read_manifest(corpus / "manifest.jsonl"))


def _encoded(utterance, config):
    tokens = TextRules(config, ["es"]).utterance_tokens(utterance)
    symbols = SymbolTable.base().extend(list(dict.fromkeys([t.symbol for t in tokens] + [c for t in tokens for c in t.symbol])))
    rules = TextRules(config, ["es"], symbols)
    frames = int(round(utterance.duration * config.audio.sample_rate / config.audio.hop_length))
    return encode_utterance(utterance, tokens, rules, {utterance.speaker: 0}, frames, config.audio), rules, tokens


def test_a_voice_of_whole_tokens_takes_the_durations_exactly_and_one_numbering_characters_as_windows(timed_corpus: Path):
    utterance = read_manifest(timed_corpus / "manifest.jsonl")[0]
    exact, _, _ = _encoded(utterance, preset("tiny"))
    assert exact.durations is not None and exact.duration_windows is None

    piper_like = preset("tiny").replace(**{"text.sequence_layout": "piper", "text.token_unit": "codepoint"})
    windowed, rules, tokens = _encoded(utterance, piper_like)
    assert windowed.durations is None and len(windowed.duration_windows) == len(windowed.phoneme_ids)
    # Each character of a token may take the token's frames (and the slack), nothing else.
    hop = piper_like.audio.hop_length / piper_like.audio.sample_rate
    ends = np.round(np.cumsum(utterance.phoneme_durations) / hop).astype(int)
    characters = [(index, c) for index, token in enumerate(tokens) for c in token.symbol]
    real = [(p, window) for p, (window, i) in enumerate(zip(windowed.duration_windows, windowed.phoneme_ids)) if i not in RESERVED_IDS]
    assert len(real) == len(characters)
    for (_, (first, last)), (token, _) in zip(real, characters):
        start = ends[token - 1] if token else 0
        assert first == max(0, start - DURATION_WINDOW_SLACK_FRAMES)
        assert last == min(windowed.frames, ends[token] + DURATION_WINDOW_SLACK_FRAMES)


def test_the_alignment_search_stays_within_the_windows():
    # Scores that pull every frame to the first token; the windows give each token its own frames.
    scores = torch.zeros(1, 3, 9)
    scores[0, 0] = 5.0
    windows = torch.tensor([[[0, 3], [3, 6], [6, 9]]])
    mask_text, mask_frames = torch.ones(1, 3, dtype=torch.bool), torch.ones(1, 9, dtype=torch.bool)
    free = monotonic_alignment_search(scores, mask_text, mask_frames)[0].sum(dim=1).tolist()
    bounded = monotonic_alignment_search(within_windows(scores, windows), mask_text, mask_frames)[0].sum(dim=1).tolist()
    assert free == [7.0, 1.0, 1.0] and bounded == [3.0, 3.0, 3.0]


def test_manifest_durations_reach_the_training_pass_as_windows(timed_corpus: Path):
    utterance = read_manifest(timed_corpus / "manifest.jsonl")[0]
    piper_like = preset("tiny").replace(**{"text.sequence_layout": "piper", "text.token_unit": "codepoint"})
    item, _, _ = _encoded(utterance, piper_like)
    mel = torch.zeros(piper_like.audio.n_mels, item.frames)
    batch = collate([(item, torch.zeros(item.frames * piper_like.audio.hop_length), mel)])
    assert batch.duration_windows.shape == (1, len(item.phoneme_ids), 2)
    assert batch.duration_windows[0].tolist() == [list(window) for window in item.duration_windows]


def test_the_training_pass_aligns_each_id_within_its_window(timed_corpus: Path):
    from polyvox.models.vits import VitsGenerator

    utterance = read_manifest(timed_corpus / "manifest.jsonl")[0]
    config = preset("tiny").replace(**{"text.sequence_layout": "piper", "text.token_unit": "codepoint"})
    item, rules, _ = _encoded(utterance, config)
    torch.manual_seed(0)
    generator = VitsGenerator(config.model, len(rules.symbols), 1, config.audio.n_mels, config.audio.hop_length)
    batch = collate([(item, torch.zeros(item.frames * config.audio.hop_length), torch.randn(config.audio.n_mels, item.frames))])
    arguments = (batch.phoneme_ids, batch.language_ids, batch.text_lengths, batch.mel, batch.mel_lengths, batch.speaker_ids)
    with torch.no_grad():
        bounded = generator(*arguments, segment_frames=8, duration_windows=batch.duration_windows).path[0]
        free = generator(*arguments, segment_frames=8).path[0]
    frames = torch.arange(item.frames)
    windows = batch.duration_windows[0]
    outside = (frames < windows[:, :1]) | (frames >= windows[:, 1:])
    assert bounded[outside].sum() == 0 and bounded.sum() == item.frames
    assert free[outside].sum() > 0  # an untrained voice's own search strays: the windows are what keep it in place
