"""A style voice's page in a real browser (headless Chromium through Playwright): it offers the voice's labels and a
strength, computes the style vector as Python does, and speaks an emotion at a strength as onnxruntime in Python does
for the same noise. Skipped with the reason when Playwright, Chromium or the npm runtime is missing."""

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
# The page's speak call with a style: SPEAK's noise queue, plus the emotion and strength.
SPEAK_STYLED = SPEAK.replace("async ([text, language, noises, streamed])", "async ([text, language, noises, streamed, emotion, styleStrength])").replace(
    "const options = { language, noise };", "const options = { language, noise, emotion, styleStrength };"
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
    assert page.page.eval_on_selector_all("#emotion option", "items => items.map((item) => item.value)") == ["", *LABELS]


@pytest.mark.parametrize(("emotion", "strength"), [(None, 1.0), ("calm", 1.0), ("excited", 0.3), ("excited", 1.9)])
def test_the_style_vector_is_pythons(page, python_voice, emotion: str | None, strength: float) -> None:
    label = None if emotion is None else LABELS.index(emotion)
    expected = python_voice.metadata.style.style(label, strength)[0]
    got = np.array(page.page.evaluate(STYLE, [emotion, strength]), dtype=np.float32)
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("streamed", [False, True], ids=["synthesize", "stream"])
def test_an_emotion_at_a_strength_speaks_as_onnxruntime_in_python(page, python_voice, streamed: bool) -> None:
    options = python_voice.text.options(SpeechRequest(SENTENCE, language="en", emotion="excited", style_strength=0.6))
    style = python_voice.request_style(options)
    encoded = python_voice.encode(SENTENCE, "en")
    random = np.random.default_rng(0)
    duration_noise = random.standard_normal((1, 2, len(encoded.phoneme_ids)), dtype=np.float32)
    prior = python_voice.encode_prior(
        np.array([encoded.phoneme_ids]), np.array([encoded.language_ids]), np.array([len(encoded.phoneme_ids)]),
        np.array([options.speaker_id]), np.array([options.length_scale]), np.array([options.request.noise_scale_duration]),
        duration_noise, np.array([encoded.prosody_ids]), style,
    )
    prior_noise = random.standard_normal(prior.means.shape, dtype=np.float32)
    latent = python_voice.sample_prior(prior, options.request.noise_scale, prior_noise)
    expected = np.clip(python_voice.decode_latent(latent, np.ones_like(latent[:, :1]), np.array([options.speaker_id]), style_vectors=style)[0, 0], -1, 1)
    noises = [noise.ravel().tolist() for noise in (duration_noise, prior_noise)]
    got = np.array(page.page.evaluate(SPEAK_STYLED, [SENTENCE, "en", noises, streamed, "excited", 0.6]), dtype=np.float32)
    assert got.shape == expected.shape
    difference = float(np.max(np.abs(got - expected)))
    print(f"{'stream' if streamed else 'synthesize'} excited at 0.6: {len(got)} samples, max |browser - Python| {difference:.2e}")
    assert difference < AUDIO_TOLERANCE


def test_an_unknown_emotion_is_pythons_message(page) -> None:
    message = page.page.evaluate("""() => { try { window.polyvoxVoice.styleOf("angry", 1); } catch (error) { return error.message; } }""")
    assert message == "unknown emotion 'angry'; this voice knows: calm, excited"


def test_the_page_speaks_an_emotion(page) -> None:
    page.page.fill("#text", SENTENCE)
    page.page.select_option("#emotion", "excited")
    page.page.fill("#style-strength", "0.5")
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
