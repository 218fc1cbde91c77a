"""A style reference on the browser page (headless Chromium through Playwright): the page computes a clip's log-mel as
numpy does (style_reference.js against NumpyMelSpectrogram), encodes it with the exported style encoder graph to
OnnxVoice's style, speaks it at a strength as onnxruntime in Python does for the same noise, refuses bad clips with
Python's messages, and takes a clip through its file input. Skipped with the reason when Playwright, Chromium or the
npm runtime is missing."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

import numpy as np
import pytest
import soundfile
from test_onnx_style_reference import speech_like
# The style page (the style voice's export) and the parity test's browser and page fixtures.
from test_style_web import SENTENCE, SPEAK_STYLED, _python_speech, page_folder, python_voice  # noqa: F401
from test_web_parity import AUDIO_TOLERANCE, browser, page  # noqa: F401

from polyvox.audio.numpy_mel import NumpyMelSpectrogram
from polyvox.config import AudioConfig
from polyvox.errors import ReferenceClipError
from polyvox.export.web_browser import browser_missing
from polyvox.export.web_export import NPM_COMMAND, missing_runtime
from polyvox.speech_request import SpeechRequest

pytestmark = pytest.mark.skipif(
    bool(browser_missing() or missing_runtime()),
    reason=browser_missing() or f"the browser runtime is not installed: {NPM_COMMAND}",
)

RATE = 22050
LOG_MEL = """async ([audio, samples]) => {
  const { LogMel } = await import("./style_reference.js");
  const { data, frames } = new LogMel(audio).of(Float32Array.from(samples));
  return [Array.from(data), frames];
}"""
# A clip served beside the page, as the file input gives it (a File named as the clip).
CLIP_FILE = "async (name) => new File([await (await fetch(name)).blob()], name)"
CLIP_STYLE = f"""async (name) => Array.from(await window.polyvoxVoice.styleEncoder.clipStyle(await ({CLIP_FILE})(name)))"""
SPEAK_CLIP = SPEAK_STYLED.replace(
    "const options = { language, noise, ...style };",
    f"const options = {{ language, noise, ...style, styleReference: await ({CLIP_FILE})(style.clip) }};",
)
REFUSAL = f"""async ([name, samples]) => {{
  const clip = samples ? Float32Array.from(samples, (value) => value ?? NaN) : await ({CLIP_FILE})(name);
  try {{ await window.polyvoxVoice.synthesize("Hello.", {{ language: "en", styleReference: clip }}); }} catch (error) {{ return error.message; }}
}}"""


@pytest.fixture(scope="module")
def clips(page_folder: Path) -> Path:  # noqa: F811
    """Clips served beside the page: two at the voice's rate (16-bit and float), one at 44.1 kHz in stereo, bad ones."""
    soundfile.write(str(page_folder / "calm.wav"), speech_like(1.4), RATE, subtype="PCM_16")
    soundfile.write(str(page_folder / "float.wav"), 1.5 * speech_like(0.9, seed=2), RATE, subtype="FLOAT")
    lively = speech_like(1.1, 44100, seed=1) * np.float32(2.5)
    soundfile.write(str(page_folder / "lively.wav"), np.stack([lively, 0.5 * lively], axis=1), 44100, subtype="PCM_16")
    soundfile.write(str(page_folder / "short.wav"), speech_like(0.3), RATE)
    soundfile.write(str(page_folder / "silent.wav"), np.zeros(RATE, np.float32), RATE)
    (page_folder / "notes.wav").write_text("not audio", encoding="utf-8")
    return page_folder


@pytest.mark.parametrize(
    "config",
    [AudioConfig(), AudioConfig(sample_rate=16000, n_fft=800, win_length=640, hop_length=160, n_mels=40, mel_fmin=55.0, mel_fmax=7600.0)],
    ids=["default", "fft-size-not-a-power-of-two"],
)
def test_the_pages_log_mel_is_numpys(page, config: AudioConfig) -> None:
    mel = NumpyMelSpectrogram(config)
    for length in (100, 300, config.sample_rate + 17):
        samples = speech_like(length / config.sample_rate, config.sample_rate, seed=length)[:length]
        data, frames = page.page.evaluate(LOG_MEL, [asdict(config), samples.tolist()])
        expected = mel(samples)
        assert frames == expected.shape[1] == length // config.hop_length
        got = np.array(data, dtype=np.float32).reshape(config.n_mels, frames)
        if got.size:
            assert float(np.max(np.abs(got - expected))) < 1e-5


def test_the_pages_clip_style_is_onnxvoices(page, python_voice, clips: Path) -> None:
    # A float WAV decodes to soundfile's samples exactly; Chromium's 16-bit samples differ from soundfile's by up to
    # 1.1e-5 (measured), which moves the style by a few 1e-6.
    for name, tolerance in (("float.wav", 1e-5), ("calm.wav", 1e-4)):
        expected = python_voice.style_encoder.clip_style(clips / name)
        got = np.array(page.page.evaluate(CLIP_STYLE, name), dtype=np.float32)
        assert float(np.max(np.abs(got - expected))) < tolerance, name
    # At another rate the browser's resampler stands in for soxr: close, not equal.
    expected = python_voice.style_encoder.clip_style(clips / "lively.wav")
    got = np.array(page.page.evaluate(CLIP_STYLE, "lively.wav"), dtype=np.float32)
    assert float(np.max(np.abs(got - expected))) < 1e-2
    assert float(np.max(np.abs(expected - python_voice.style_encoder.clip_style(clips / "calm.wav")))) > 1e-2


@pytest.mark.parametrize("streamed", [False, True], ids=["synthesize", "stream"])
def test_a_style_reference_speaks_as_onnxruntime_in_python(page, python_voice, clips: Path, streamed: bool) -> None:
    request = SpeechRequest(SENTENCE, language="en", style_reference=clips / "float.wav", style_strength=0.7)
    noises, expected = _python_speech(python_voice, request)
    page_style = {"clip": "float.wav", "styleStrength": 0.7}
    got = np.array(page.page.evaluate(SPEAK_CLIP, [SENTENCE, "en", [noise.ravel().tolist() for noise in noises], streamed, page_style]), dtype=np.float32)
    assert got.shape == expected.shape
    difference = float(np.max(np.abs(got - expected)))
    print(f"{'stream' if streamed else 'synthesize'} style reference at 0.7: max |browser - Python| {difference:.2e}")
    assert difference < AUDIO_TOLERANCE
    neutral = _python_speech(python_voice, SpeechRequest(SENTENCE, language="en"))[1]
    assert neutral.shape != got.shape or not np.allclose(neutral, got, atol=1e-3)


@pytest.mark.parametrize("kind", ["short.wav", "silent.wav", "non-finite", "none"])
def test_a_bad_clip_gives_pythons_message(page, python_voice, clips: Path, kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(clips)  # Python names a clip by its path as given: here its name, as the page names a file
    samples = {"non-finite": [0.1, None] * RATE, "none": []}.get(kind)
    with pytest.raises(ReferenceClipError) as from_python:
        python_voice.synthesize("Hello.", style_reference=kind if samples is None else np.array(samples, dtype=np.float32) if samples else [])
    clip = None if samples is None else samples
    message = page.page.evaluate(REFUSAL if kind != "none" else REFUSAL.replace("styleReference: clip", "styleReference: []"), [kind, clip])
    assert message == str(from_python.value)


OPTIONS_MESSAGE = """(options) => {
  try { window.polyvoxVoice.options({ ...options, styleReference: new Float32Array(8) }); } catch (error) { return error.message; }
}"""


@pytest.mark.parametrize(
    ("options", "request_options"),
    [
        ({"emotion": "calm"}, {"emotion": "calm"}),
        ({"style": "sample"}, {"style": "sample"}),
        ({"style": "sample", "emotion": "calm"}, {"style": "sample", "emotion": "calm"}),
        ({"styleStrength": 2.5}, {"style_strength": 2.5}),
    ],
)
def test_a_clip_with_another_style_option_gives_pythons_message(page, python_voice, options: dict, request_options: dict) -> None:
    from polyvox.inference.result import SynthesisError

    with pytest.raises(SynthesisError) as from_python:
        python_voice.synthesize(SENTENCE, style_reference=np.zeros(8, np.float32), **request_options)
    assert page.page.evaluate(OPTIONS_MESSAGE, options) == str(from_python.value)


def test_an_unreadable_clip_is_one_line_naming_it(page, clips: Path) -> None:
    message = page.page.evaluate(REFUSAL, ["notes.wav", None])
    assert message.startswith("cannot read audio file notes.wav: ") and message.endswith("(convert it to WAV or FLAC)")
    assert "\n" not in message


def _spoken_status(page, emotion: str, clip: Path | None) -> str:  # noqa: F811
    """The status line after speaking with the Style menu at ``emotion`` and ``clip`` in the file input."""
    page.page.select_option("#emotion", emotion)
    page.page.set_input_files("#style-reference", [] if clip is None else str(clip))
    page.page.click("#speak")
    page.page.wait_for_function("!document.getElementById('speak').disabled")
    return page.status


def test_the_page_speaks_a_clip_from_its_file_input(page, clips: Path) -> None:
    assert page.page.is_visible("#style-reference")
    page.page.fill("#text", SENTENCE)
    page.page.fill("#style-strength", "0.5")
    status = _spoken_status(page, "", clips / "calm.wav")
    assert status.startswith("first audio after"), status
    assert _spoken_status(page, "calm", clips / "calm.wav") == "give an emotion or a style reference, not both: each sets the style"
    assert _spoken_status(page, "", clips / "short.wav") == "short.wav is 0.30 s long; a reference clip needs at least 0.5 s of speech"
    assert _spoken_status(page, "", None).startswith("first audio after")
