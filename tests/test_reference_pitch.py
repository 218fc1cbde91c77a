"""A reference clip's pitch followed (``inference/reference_pitch.py``): zero-shot speech moved to the clip's median F0
instead of keeping the register of the trained voice its timbre lies near."""

from __future__ import annotations

import math

import numpy as np
import pytest
import soundfile
from typer.testing import CliRunner

from polyvox.audio.prosody_shape import ProsodyShape, shape_prosody
from polyvox.cli import app
from polyvox.inference.reference_pitch import median_f0, reference_f0, semitones_toward

RATE = 22050
TEXT = "The old train stopped at every small town on the way."


def hummed(f0_hz: float, seconds: float = 1.0) -> np.ndarray:
    """A voiced stand-in for speech at a steady ``f0_hz``: ten harmonics, faded in and out."""
    times = np.arange(int(seconds * RATE)) / RATE
    wave = sum(np.sin(2 * np.pi * k * f0_hz * times) / k for k in range(1, 11))
    return (0.2 * wave * np.minimum(1.0, np.minimum(times, seconds - times) / 0.05)).astype(np.float32)


def semitones(high: float, low: float) -> float:
    return 12 * math.log2(high / low)


def test_the_move_is_what_takes_the_speech_to_the_clips_median_within_the_pitch_range(tmp_path):
    spoken = hummed(150.0)
    assert median_f0(spoken, RATE) == pytest.approx(150.0, rel=0.02)
    assert semitones_toward(spoken, RATE, 225.0, 0.0) == pytest.approx(semitones(225.0, 150.0), abs=0.3)
    # On top of a request's own shift the total stays within +-24 semitones.
    assert semitones_toward(spoken, RATE, 225.0, 20.0) == pytest.approx(4.0)
    noise = np.random.default_rng(0).normal(0.0, 0.1, RATE).astype(np.float32)
    assert median_f0(noise, RATE) is None and semitones_toward(noise, RATE, 225.0, 0.0) == 0.0
    path = tmp_path / "clip.wav"
    soundfile.write(path, hummed(225.0, 1.5), RATE)
    assert reference_f0(RATE, path) == pytest.approx(225.0, rel=0.02)
    assert reference_f0(RATE, [path, hummed(150.0)]) == pytest.approx(225.0, rel=0.05)  # the median of both


@pytest.fixture(scope="module")
def bundled():
    from polyvox.cli_support import DEFAULT_VOICE
    from polyvox.inference.voice import Voice

    return DEFAULT_VOICE, Voice.load(DEFAULT_VOICE)


@pytest.fixture(scope="module")
def high_clip(bundled, tmp_path_factory):
    """A reference "recording": the bundled voice's kokoro_jf_alpha on another sentence, 7 semitones up (about 430 Hz).
    Not its piper_joe: the tracker finds too few periodic frames in that speaker's speech to read a pitch."""
    _, voice = bundled
    spoken = voice.synthesize("My brother painted the fence on Sunday afternoon.", language="en", speaker="kokoro_jf_alpha", seed=1).samples
    path = tmp_path_factory.mktemp("reference_pitch") / "high.wav"
    soundfile.write(path, shape_prosody(spoken, RATE, ProsodyShape(7.0)), RATE)
    return path


def test_zero_shot_speech_takes_the_clips_pitch_and_keeps_the_voices_without(bundled, high_clip):
    _, voice = bundled
    clip_hz = reference_f0(RATE, high_clip)
    followed = voice.synthesize(TEXT, language="en", reference=str(high_clip), seed=3).samples
    kept = voice.synthesize(TEXT, language="en", reference=str(high_clip), seed=3, reference_pitch=False).samples
    # Measured: the clip 431 Hz; the voice under its timbre 236 Hz, moved to 424 Hz.
    assert semitones(median_f0(followed, RATE), clip_hz) == pytest.approx(0.0, abs=1.0)
    assert abs(semitones(median_f0(kept, RATE), clip_hz)) > 6.0
    # What the clip asks is added to a request's own shift.
    lower = voice.synthesize(TEXT, language="en", reference=str(high_clip), seed=3, pitch=-3.0).samples
    assert semitones(median_f0(lower, RATE), clip_hz) == pytest.approx(-3.0, abs=1.0)
    # Streamed, each sentence comes whole and equals the synthesis.
    chunks = list(voice.stream(TEXT, language="en", reference=str(high_clip), seed=3))
    assert len(chunks) == 1
    np.testing.assert_allclose(chunks[0], followed, atol=1e-6)


def test_say_follows_the_clip_unless_told_not_to(bundled, high_clip, tmp_path):
    path, _ = bundled
    runner = CliRunner()
    for flag, name in (([], "followed.wav"), (["--no-reference-pitch"], "kept.wav")):
        result = runner.invoke(app, ["say", TEXT, "--voice", str(path), "--lang", "en", "--reference", str(high_clip), "--seed", "3",
                                     *flag, "-o", str(tmp_path / name)])
        assert result.exit_code == 0, result.output
    followed, _ = soundfile.read(tmp_path / "followed.wav", dtype="float32")
    kept, _ = soundfile.read(tmp_path / "kept.wav", dtype="float32")
    assert semitones(median_f0(followed, RATE), median_f0(kept, RATE)) > 6.0
