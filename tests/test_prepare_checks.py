"""Checks on prepared clips: duplicates, speaking-rate outliers, noise, clipping, text, lengths."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import soundfile

from polyvox.audio.io import resample
from polyvox.cli_support import DEFAULT_VOICE
from polyvox.config import TrainingConfig, preset
from polyvox.data.data_report import UNREADABLE_TEXT
from polyvox.prepare import AudioSettings, PrepareSettings
from polyvox.prepare.audio_cleaning import LOUDNESS, PEAK_LIMIT, PEAK_LIMITED, loudness_gain
from polyvox.prepare.checks import (
    BELOW_MODEL_MINIMUM,
    CLIPPING,
    DUPLICATE,
    LENGTH_OUT_OF_RANGE,
    LOW_SNR,
    RATE_OUTLIER,
    UNKNOWN_SYMBOLS,
    check_clips,
)
from polyvox.prepare.pipeline import prepare_dataset
from polyvox.prepare.report import ClipOutcome
from polyvox.prepare.source_processing import ClipRecord
from polyvox.prepare.voice_activity import Span, detect_voice_activity
from polyvox.prepare.voice_target import voice_target
from polyvox.text import SymbolTable, TextFrontend
from polyvox.text.rules import TextRules
from prepare_helpers import WORK_RATE, spoken_sentences


def _reasons(clip: ClipOutcome) -> list[str]:
    return [reason["reason"] for reason in clip.reasons]


def test_duplicates_rate_outliers_and_noise_are_flagged(tmp_path: Path, engine: object) -> None:
    texts, audio = spoken_sentences(engine, "en", 8, seed=21)  # type: ignore[arg-type]
    root = tmp_path / "clips"
    root.mkdir()
    pad = np.zeros(WORK_RATE // 2, dtype=np.float32)
    for index in range(7):
        soundfile.write(str(root / f"s{index}.wav"), 0.5 * np.concatenate([pad, audio[index], pad]), WORK_RATE)
        # Clip 3's transcript is three sentences: far too many phonemes for its audio.
        text = " ".join(texts[3:6]) if index == 3 else texts[index]
        (root / f"s{index}.txt").write_text(text)
    # A quieter stereo FLAC copy of clip 1 at another rate is the same take.
    copy = resample(0.25 * np.concatenate([pad, audio[1], pad]), WORK_RATE, 44100)
    soundfile.write(str(root / "z_copy.flac"), np.stack([copy, copy], axis=1), 44100)
    (root / "z_copy.txt").write_text(texts[1])
    # Clip 7 is buried in noise.
    noisy = 0.3 * np.concatenate([pad, audio[7], pad])
    noisy = noisy + np.random.default_rng(0).normal(0, 0.1, noisy.size).astype(np.float32)
    soundfile.write(str(root / "s7.wav"), noisy, WORK_RATE)
    (root / "s7.txt").write_text(texts[7])

    target = voice_target(DEFAULT_VOICE)
    report = prepare_dataset(root, tmp_path / "out", target, PrepareSettings(workers=1), speaker="ann", progress=False)
    by_name = {Path(clip.source).name: clip for clip in report.clips}
    assert DUPLICATE in _reasons(by_name["z_copy.flac"])
    assert str((tmp_path / "out").resolve()) in by_name["z_copy.flac"].reasons[0]["detail"]
    assert RATE_OUTLIER in _reasons(by_name["s3.wav"])
    assert LOW_SNR in _reasons(by_name["s7.wav"])
    clean = [name for name in by_name if name not in ("z_copy.flac", "s3.wav", "s7.wav")]
    assert all(not by_name[name].reasons for name in clean)

    # Noise reduction raises the measured signal-to-noise ratio of the noisy clip.
    denoised = dataclasses.replace(PrepareSettings(workers=1), audio=AudioSettings(denoise=True))
    again = prepare_dataset(root / "s7.wav", tmp_path / "denoised", target, denoised, progress=False)
    assert "noise reduced" in again.steps
    before = float(by_name["s7.wav"].reasons[0]["detail"].split(" dB")[0])
    after_detail = [r["detail"] for r in again.clips[0].reasons if r["reason"] == LOW_SNR]
    assert not after_detail or float(after_detail[0].split(" dB")[0]) > before + 3


def _clip(text: str | None, duration: float = 2.0, **changes: float) -> ClipRecord:
    clip = ClipRecord("a.wav", "src.wav", "ann", "en", text, 0.0, duration, duration, 40.0, 0.0, ())
    return dataclasses.replace(clip, **changes)


@pytest.fixture(scope="module")
def frontend() -> TextFrontend:
    return TextFrontend(["en"])


def test_text_length_noise_and_clipping_checks(frontend: TextFrontend) -> None:
    settings = PrepareSettings(model_minimum_s=0.2)
    clips = [
        _clip("The road is very clean."),
        _clip("... !?"),
        _clip("The road.", duration=0.1),
        _clip("The road is clean.", duration=0.3),
        _clip("The road is very clean.", snr_db=6.0),
        _clip("The road is very clean.", clipped_fraction=0.01),
    ]
    verdicts = check_clips(clips, frontend, settings, TrainingConfig(), voice_rules=None)
    assert [[reason for reason, _ in v.problems] for v in verdicts] == [
        [], [UNREADABLE_TEXT], [BELOW_MODEL_MINIMUM], [LENGTH_OUT_OF_RANGE], [LOW_SNR], [CLIPPING],
    ]
    assert [v.must_drop() for v in verdicts] == [False, False, True, False, False, False]
    assert verdicts[0].rate is not None and 5 < verdicts[0].rate < 15


def test_phonemes_the_voice_lacks_are_flagged_only_for_its_languages(frontend: TextFrontend) -> None:
    clips = [_clip("The road is very clean.")]
    flagged = check_clips(clips, frontend, PrepareSettings(), TrainingConfig(), TextRules(preset("tiny"), ("en",), SymbolTable.base()), voice_languages=("en",))
    assert [reason for reason, _ in flagged[0].problems] == [UNKNOWN_SYMBOLS]
    other = check_clips(clips, frontend, PrepareSettings(), TrainingConfig(), TextRules(preset("tiny"), ("en",), SymbolTable.base()), voice_languages=("de",))
    assert other[0].problems == []


def test_loudness_reaches_the_target_and_never_clips() -> None:
    import pyloudnorm

    tone = 0.05 * np.sin(2 * np.pi * 220 * np.arange(3 * WORK_RATE) / WORK_RATE).astype(np.float32)
    steps: dict[str, str] = {}
    louder = tone * np.float32(loudness_gain(tone, WORK_RATE, -23.0, steps))
    assert pyloudnorm.Meter(WORK_RATE).integrated_loudness(louder.astype(np.float64)) == pytest.approx(-23.0, abs=0.1)
    assert LOUDNESS in steps and PEAK_LIMITED not in steps

    spiky = tone.copy()
    spiky[100] = 0.9
    limited_steps: dict[str, str] = {}
    limited = spiky * np.float32(loudness_gain(spiky, WORK_RATE, -10.0, limited_steps))
    assert np.abs(limited).max() == pytest.approx(PEAK_LIMIT, abs=1e-4)
    assert PEAK_LIMITED in limited_steps


@pytest.mark.parametrize(("snr_db", "flagged"), [(35.0, False), (5.0, True)])
def test_tightly_trimmed_clips_get_a_fair_noise_estimate(engine: object, snr_db: float, flagged: bool) -> None:
    # No pauses to measure the noise in: the quiet moments inside speech must stand in for them.
    _, audio = spoken_sentences(engine, "en", 3, seed=41)  # type: ignore[arg-type]
    random = np.random.default_rng(1)
    for speech in audio:
        speech = 0.5 * speech / np.abs(speech).max()
        noise = random.normal(0, np.sqrt(np.mean(speech**2) / 10 ** (snr_db / 10)), speech.size)
        activity = detect_voice_activity((speech + noise).astype(np.float32), WORK_RATE, 2)
        measured = activity.snr_db(Span(0.0, activity.duration_s))
        assert (measured < PrepareSettings().checks.min_snr_db) == flagged, measured
