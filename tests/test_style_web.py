"""A style voice's page in a real browser (headless Chromium through Playwright): it offers the voice's labels, a
strength and a sampled style, computes the style vector as Python does, and speaks an emotion at a strength, or a
sampled style, as onnxruntime in Python does for the same noise. Skipped with the reason when Playwright, Chromium or
the npm runtime is missing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from test_style_onnx import LABELS, make_style_voice
# The parity test's browser and page fixtures (the page opens this module's page_folder).
from test_web_parity import AUDIO_TOLERANCE, SPEAK, browser, page  # noqa: F401

from polyvox.export.web_browser import browser_missing, open_page, serve
from polyvox.export.web_export import NPM_COMMAND, export_web, missing_runtime
from polyvox.inference.batch import one_torch_thread
from polyvox.speech_request import SpeechRequest

pytestmark = pytest.mark.skipif(
    bool(browser_missing() or missing_runtime()),
    reason=browser_missing() or f"the browser runtime is not installed: {NPM_COMMAND}",
)

SENTENCE = "Hello world."
# The page's speak call with style options: SPEAK's noise queue, plus the options (emotion, style, ...).
SPEAK_STYLED = SPEAK.replace("async ([text, language, noises, streamed])", "async ([text, language, noises, streamed, style])").replace(
    "const options = { language, noise };", "const options = { language, noise, ...style };"
)
STYLE = """([emotion, strength]) => Array.from(window.polyvoxVoice.styleOf(emotion, strength))"""


@pytest.fixture(scope="module")
def page_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("style_page")
    with one_torch_thread():
        export_web(make_style_voice(folder / "styled.safetensors"), folder / "page")
    return folder / "page"


@pytest.fixture(scope="module")
def python_voice(page_folder: Path):
    from polyvox.inference.onnx_voice import OnnxVoice

    return OnnxVoice.load(page_folder / "voice.onnx", threads=1)


def test_the_page_offers_the_voices_labels_and_a_strength(page) -> None:
    assert page.page.is_visible("#style-controls") and page.page.is_visible("#style-strength")
    values = page.page.eval_on_selector_all("#emotion option", "items => items.map((item) => item.value)")
    assert values == ["", *LABELS, "(sampled from the text)"]


@pytest.mark.parametrize(("emotion", "strength"), [(None, 1.0), ("calm", 1.0), ("excited", 0.3), ("excited", 1.9)])
def test_the_style_vector_is_pythons(page, python_voice, emotion: str | None, strength: float) -> None:
    label = None if emotion is None else LABELS.index(emotion)
    expected = python_voice.metadata.style.style(label, strength)[0]
    got = np.array(page.page.evaluate(STYLE, [emotion, strength]), dtype=np.float32)
    np.testing.assert_array_equal(got, expected)


def _python_speech(voice, request: SpeechRequest) -> tuple[list[np.ndarray], np.ndarray]:
    """The noises drawn for SENTENCE (a sampled style's start, duration, prior) and the audio OnnxVoice makes with them."""
    options = voice.text.options(request)
    style = voice.request_style(options)
    encoded = voice.encode(SENTENCE, "en")
    random = np.random.default_rng(0)
    noises = []
    if request.style == "sample":
        noises.append(np.random.default_rng(0).standard_normal((1, len(voice.metadata.style.neutral)), dtype=np.float32))
        style = voice.style_sampler.sentence_style(encoded, options.speaker_id, request, random)
    duration_noise = random.standard_normal((1, 2, len(encoded.phoneme_ids)), dtype=np.float32)
    prior = voice.encode_prior(
        np.array([encoded.phoneme_ids]), np.array([encoded.language_ids]), np.array([len(encoded.phoneme_ids)]),
        np.array([options.speaker_id]), np.array([options.length_scale]), np.array([options.settings.noise_scale_duration]),
        duration_noise, np.array([encoded.prosody_ids]), style,
    )
    prior_noise = random.standard_normal(prior.means.shape, dtype=np.float32)
    latent = voice.sample_prior(prior, options.settings.noise_scale, prior_noise)
    waveform = voice.decode_latent(latent, np.ones_like(latent[:, :1]), np.array([options.speaker_id]), style_vectors=style)
    return [*noises, duration_noise, prior_noise], np.clip(waveform[0, 0], -1, 1)


@pytest.mark.parametrize("streamed", [False, True], ids=["synthesize", "stream"])
@pytest.mark.parametrize(
    ("request_style", "page_style"),
    [
        ({"emotion": "excited", "style_strength": 0.6}, {"emotion": "excited", "styleStrength": 0.6}),
        ({"style": "sample", "style_steps": 6, "style_scale": 1.5}, {"style": "sample", "styleSteps": 6, "styleScale": 1.5}),
    ],
    ids=["emotion", "sampled"],
)
def test_a_style_speaks_as_onnxruntime_in_python(page, python_voice, streamed: bool, request_style: dict, page_style: dict) -> None:
    noises, expected = _python_speech(python_voice, SpeechRequest(SENTENCE, language="en", **request_style))
    noises = [noise.ravel().tolist() for noise in noises]
    got = np.array(page.page.evaluate(SPEAK_STYLED, [SENTENCE, "en", noises, streamed, page_style]), dtype=np.float32)
    assert got.shape == expected.shape
    difference = float(np.max(np.abs(got - expected)))
    print(f"{'stream' if streamed else 'synthesize'} {page_style}: {len(got)} samples, max |browser - Python| {difference:.2e}")
    assert difference < AUDIO_TOLERANCE


MESSAGE = """(options) => { try { window.polyvoxVoice.options(options); } catch (error) { return error.message; } }"""


@pytest.mark.parametrize(
    ("options", "request_options"),
    [
        ({"emotion": "angry"}, {"emotion": "angry"}),
        ({"styleStrength": 0.5}, {"style_strength": 0.5}),
        ({"style": "sample", "emotion": "calm"}, {"style": "sample", "emotion": "calm"}),
        ({"styleSteps": 3}, {"style_steps": 3}),
        ({"style": "random"}, {"style": "random"}),
        ({"style": "sample", "styleSteps": 0}, {"style": "sample", "style_steps": 0}),
    ],
)
def test_bad_style_options_give_pythons_message(page, python_voice, options: dict, request_options: dict) -> None:
    from polyvox.inference.result import SynthesisError

    with pytest.raises(SynthesisError) as from_python:
        python_voice.synthesize(SENTENCE, **request_options)
    assert page.page.evaluate(MESSAGE, options) == str(from_python.value)


def test_the_page_speaks_an_emotion(page) -> None:
    page.page.fill("#text", SENTENCE)
    page.page.select_option("#emotion", "excited")
    page.page.fill("#style-strength", "0.5")
    page.page.click("#speak")
    page.page.wait_for_function("!document.getElementById('speak').disabled")
    assert page.status.startswith("first audio after"), page.status
    page.page.select_option("#emotion", "(sampled from the text)")
    page.page.click("#speak")
    page.page.wait_for_function("!document.getElementById('speak').disabled")
    assert page.status.startswith("first audio after"), page.status


def test_a_voice_without_style_hides_the_controls_and_refuses_an_emotion(browser, tmp_path: Path) -> None:
    from onnx_voices import make_voice

    with one_torch_thread():
        export_web(make_voice(tmp_path / "plain.safetensors", "hifigan", 0.0), tmp_path / "page")
    with serve(tmp_path / "page") as url, open_page(browser, url + "index.html") as opened:
        assert opened.status == "Ready.", opened.status
        assert not opened.page.is_visible("#style-controls")
        message = opened.page.evaluate("""() => { try { window.polyvoxVoice.styleOf("calm", 1); } catch (error) { return error.message; } }""")
        assert message.startswith("this voice has no style component")
        assert opened.page.evaluate("() => window.polyvoxVoice.styleOf(undefined, 1)") is None
        assert not opened.errors, opened.errors
