"""A speaker's pitch correction: measured after a fine-tune against the recordings, stored in the voice, applied
whenever that speaker talks (and not for a reference clip), refused with one line when it would overshoot."""

from __future__ import annotations

import json
import logging
import shutil

import numpy as np
import pytest
import soundfile
from scipy.signal import lfilter

from polyvox.audio.pitch import shift_pitch
from polyvox.cli_support import DEFAULT_VOICE
from polyvox.data.manifest import Utterance
from polyvox.finetune.pitch_match import decide, match_speaker_pitch, median_f0
from polyvox.inference.result import SynthesisError
from polyvox.inference.speaker_pitch import SPEAKER_PITCH_INFO, speaker_pitch
from polyvox.inference.voice import Voice
from polyvox.voice_file import read_metadata

RATE = 22050
FRAME_RATE = RATE / 256
# Eight, not four: the median pitch of four short sentences scattered by half a semitone between voice steps.
SENTENCES = [
    "The cat sat on the mat.", "A bird flew over the river.", "We walked home in the rain.", "She reads a book every night.",
    "Open the window, please.", "My brother plays the piano.", "The train leaves at noon.", "Can you hear the music?",
]


def vowel(f0_hz: float, seconds: float = 0.8) -> np.ndarray:
    """A pulse train at ``f0_hz`` through two formant resonators: a steady /a/ of known pitch."""
    samples = np.zeros(int(seconds * RATE))
    samples[np.arange(0, samples.size, RATE / f0_hz).astype(int)] = 1.0
    for centre, bandwidth in ((700.0, 90.0), (1200.0, 110.0)):
        radius = np.exp(-np.pi * bandwidth / RATE)
        samples = lfilter([1.0 - radius], [1.0, -2 * radius * np.cos(2 * np.pi * centre / RATE), radius**2], samples)
    return (0.5 * samples / np.max(np.abs(samples))).astype(np.float32)


def test_the_median_pitch_of_clips_is_measured():
    assert median_f0([vowel(180.0), vowel(180.0, 0.5)], RATE) == pytest.approx(180.0, rel=0.02)
    assert median_f0([np.zeros(RATE, dtype=np.float32)], RATE) is None  # nothing voiced: no pitch


def test_a_correction_is_stored_only_when_it_is_heard_and_can_be_trusted():
    raised = decide("anna", 200.0, 150.0, FRAME_RATE)
    assert raised.semitones == pytest.approx(12 * np.log2(200 / 150), abs=0.01) and "+4.98 semitones" in raised.describe()
    assert decide("anna", 200.0, 198.0, FRAME_RATE).semitones is None  # 0.17 semitones: nobody hears it
    buzz = decide("anna", 200.0, 87.0, FRAME_RATE)  # the voice "speaks" at its 86 Hz frame rate
    assert buzz.semitones is None and "frame-rate buzz" in buzz.reason
    assert decide("anna", 400.0, 100.0, FRAME_RATE).semitones is None  # two octaves: a measuring error
    assert decide("anna", None, 150.0, FRAME_RATE).semitones is None


def test_the_stored_table_is_read_and_bad_entries_are_ignored(caplog):
    speakers = ("anna", "ben")
    assert speaker_pitch({SPEAKER_PITCH_INFO: json.dumps({"anna": 2.5})}, speakers) == {"anna": 2.5}
    assert speaker_pitch({}, speakers) == {}
    with caplog.at_level(logging.WARNING):
        assert speaker_pitch({SPEAKER_PITCH_INFO: "[1, 2"}, speakers) == {}
        assert speaker_pitch({SPEAKER_PITCH_INFO: json.dumps({"anna": 40, "carl": 1, "ben": -3})}, speakers) == {"ben": -3.0}
    assert "not a JSON object" in caplog.text and "'carl'" in caplog.text and "'anna'" in caplog.text


def test_a_fine_tune_measures_the_speaker_and_the_voice_then_speaks_at_the_recordings_pitch(tmp_path):
    """The "recordings" are the bundled voice's own kokoro_jf_alpha three semitones lower: the gap found is about -3, reported
    by default, and once stored the rewritten voice speaks at their pitch."""
    voice_path = shutil.copy(DEFAULT_VOICE, tmp_path / "voice.safetensors")
    voice = Voice.load(voice_path)
    clips = []
    for index, text in enumerate(SENTENCES):
        spoken = voice.synthesize(text, language="en", speaker="kokoro_jf_alpha", seed=100 + index).samples
        path = tmp_path / f"{index}.wav"
        soundfile.write(path, shift_pitch(spoken, RATE, -3.0), RATE)
        clips.append(Utterance(audio=str(path), text=text, speaker="kokoro_jf_alpha", language="en", duration=spoken.size / RATE))
    recorded = median_f0([soundfile.read(u.audio, dtype="float32")[0] for u in clips], RATE)
    [reported] = match_speaker_pitch(voice_path, clips, ["kokoro_jf_alpha"], half=True, store=False)  # polyvox finetune's default
    assert reported.semitones is None and "not corrected (--match-pitch stores it" in reported.reason
    assert SPEAKER_PITCH_INFO not in read_metadata(voice_path).info
    [match] = match_speaker_pitch(voice_path, clips, ["kokoro_jf_alpha"], half=True)
    assert match.semitones == pytest.approx(-3.0, abs=0.5)
    assert json.loads(read_metadata(voice_path).info[SPEAKER_PITCH_INFO]) == {"kokoro_jf_alpha": match.semitones}
    corrected = Voice.load(voice_path)
    speech = [corrected.synthesize(text, language="en", speaker="kokoro_jf_alpha", seed=7).samples for text in SENTENCES]
    assert median_f0(speech, RATE) == pytest.approx(recorded, rel=0.05)
    # The correction is --pitch's shift, added to the request's own; other speakers keep their pitch.
    plain = voice.synthesize(SENTENCES[0], language="en", speaker="kokoro_jf_alpha", seed=7, pitch=match.semitones + 1).samples
    np.testing.assert_array_equal(corrected.synthesize(SENTENCES[0], language="en", speaker="kokoro_jf_alpha", seed=7, pitch=1).samples, plain)
    other = voice.synthesize(SENTENCES[0], language="en", speaker="piper_joe", seed=7).samples
    np.testing.assert_array_equal(corrected.synthesize(SENTENCES[0], language="en", speaker="piper_joe", seed=7).samples, other)
    with pytest.raises(SynthesisError, match=r"^pitch -23 and speaker kokoro_jf_alpha's own correction \(-[23]\.\d\) make -2\d\.\d semitones, beyond \+-24"):
        corrected.synthesize(SENTENCES[0], language="en", speaker="kokoro_jf_alpha", pitch=-23)
