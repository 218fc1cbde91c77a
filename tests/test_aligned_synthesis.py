"""Aligned synthesis speaks a recording's text with the recording's own timing."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from finetune_helpers import corpora_fixture

from polyvox.audio.io import load_audio
from polyvox.data.dataset import RESERVED_IDS, seconds_to_frames, spread_durations
from polyvox.data.manifest import read_manifest
from polyvox.evaluation.aligned_synthesis import AlignedSynthesis
from polyvox.evaluation.errors import EvaluationError
from polyvox.evaluation.sources import Recording
from polyvox.inference.voice import Voice

corpora = corpora_fixture("aligned")


def _recordings(corpora, voice: Voice, count: int = 3) -> list[Recording]:
    clips = read_manifest(corpora.old)[:count]
    return [Recording(str(index), clip, load_audio(clip.audio, voice.sample_rate)) for index, clip in enumerate(clips)]


def test_the_text_is_spoken_with_the_recordings_frames(corpora):
    voice = Voice.load(corpora.voice)
    aligned = AlignedSynthesis(voice, seed=3)
    hop = voice.metadata.config.audio.hop_length
    for recording in _recordings(corpora, voice):
        encoded, frames = aligned.durations(recording)
        assert len(frames) == len(encoded[0])
        assert frames.sum() == len(recording.samples) // hop  # every frame of the recording goes to one id
        spoken = aligned(recording)
        assert len(spoken) == frames.sum() * hop and np.isfinite(spoken).all()
        assert np.array_equal(spoken, aligned(recording))  # seeded: the same clip twice


def test_a_longer_recording_gives_longer_speech(corpora):
    voice = Voice.load(corpora.voice)
    aligned = AlignedSynthesis(voice)
    recording = _recordings(corpora, voice, 1)[0]
    slow = dataclasses.replace(recording, samples=np.repeat(recording.samples, 2))  # stretched to twice the length
    assert aligned.durations(slow)[1].sum() == 2 * aligned.durations(recording)[1].sum()
    assert len(aligned(slow)) == 2 * len(aligned(recording))


def test_a_style_voice_is_refused_in_one_line(corpora):
    voice = Voice.load(corpora.voice)
    config = voice.metadata.config.replace(**{"model.style.enabled": True})
    styled = Voice(voice.generator, dataclasses.replace(voice.metadata, config=config))
    with pytest.raises(EvaluationError, match="without a style encoder"):
        AlignedSynthesis(styled)


def test_a_clip_whose_manifest_times_its_phonemes_is_timed_as_training_times_it(corpora):
    voice = Voice.load(corpora.voice)
    aligned = AlignedSynthesis(voice)
    recording = next(r for r in _recordings(corpora, voice) if r.utterance.phoneme_durations)
    encoded, frames = aligned.durations(recording)
    manifest_frames = seconds_to_frames(list(recording.utterance.phoneme_durations), int(frames.sum()), voice.metadata.config.audio)
    assert frames.tolist() == list(spread_durations(list(encoded[0]), manifest_frames))
    untimed = dataclasses.replace(recording, utterance=dataclasses.replace(recording.utterance, phonemes=None, phoneme_durations=None))
    assert aligned.durations(untimed)[1].tolist() != frames.tolist()  # the search's own timing differs


def test_the_search_offset_is_zero_for_the_searchs_own_timing_and_grows_as_the_manifest_moves(corpora):
    voice = Voice.load(corpora.voice)
    aligned = AlignedSynthesis(voice)
    recording = next(r for r in _recordings(corpora, voice) if r.utterance.phoneme_durations)
    untimed = dataclasses.replace(recording, utterance=dataclasses.replace(recording.utterance, phonemes=None, phoneme_durations=None))
    assert aligned.search_offset_ms(untimed) is None  # nothing to compare with
    # The manifest rewritten with the search's own token frames: no offset.
    encoded, frames = aligned.durations(untimed)
    hop_s = voice.metadata.config.audio.hop_length / voice.sample_rate
    starts = [s for i, s in zip(encoded[0], np.cumsum(frames) - frames) if i not in RESERVED_IDS]
    ends = starts[1:] + [int(frames.sum())]
    own = tuple(float(end) * hop_s if index == 0 else float(end - start) * hop_s for index, (start, end) in enumerate(zip(starts, ends)))
    agreeing = dataclasses.replace(recording.utterance, phoneme_durations=own)
    assert aligned.search_offset_ms(dataclasses.replace(recording, utterance=agreeing)) == pytest.approx(0.0, abs=0.01)
    # Every phoneme after the first moved two frames later: the offset is two frames.
    shifted = (own[0] + 2 * hop_s, *own[1:-1], own[-1] - 2 * hop_s)
    moved = dataclasses.replace(recording.utterance, phoneme_durations=shifted)
    assert aligned.search_offset_ms(dataclasses.replace(recording, utterance=moved)) == pytest.approx(2 * hop_s * 1000, rel=0.01)
