"""A voice with a harmonic source on its page in a real browser (headless Chromium through Playwright): whole and
streamed, it speaks as onnxruntime in Python speaks the whole sentence for the same noise, so the page carries the
source's phase from window to window. Skipped with the reason when Playwright, Chromium or the npm runtime is missing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from onnx_voices import make_voice
# The parity test's browser and page fixtures (the page opens this module's page_folder).
from test_web_parity import AUDIO_TOLERANCE, SPEAK, _python_speech, browser, page  # noqa: F401

from polyvox.export.web_browser import browser_missing
from polyvox.export.web_export import NPM_COMMAND, export_web, missing_runtime
from polyvox.inference.batch import one_torch_thread
from polyvox.inference.windows import ChunkSchedule, plan_windows

pytestmark = pytest.mark.skipif(
    bool(browser_missing() or missing_runtime()),
    reason=browser_missing() or f"the browser runtime is not installed: {NPM_COMMAND}",
)

SENTENCE = "The cat sat on the mat."  # tiny_voices.ENGLISH's second sentence: the tiny voice knows its sounds


@pytest.fixture(scope="module")
def page_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("harmonic_page")
    with one_torch_thread():
        export_web(make_voice(folder / "harmonic.safetensors", "multiband", 0.5, harmonic_source=True), folder / "page")
    return folder / "page"


@pytest.fixture(scope="module")
def python_voice(page_folder: Path):
    from polyvox.inference.onnx_voice import OnnxVoice

    return OnnxVoice.load(page_folder / "voice.onnx", threads=1)


@pytest.mark.parametrize("streamed", [False, True], ids=["synthesize", "stream"])
def test_the_page_speaks_a_harmonic_source_as_onnxruntime_in_python(page, python_voice, streamed: bool) -> None:
    assert "source_phase" in python_voice.metadata.graphs["decoder"].inputs
    noises, expected = _python_speech(python_voice, SENTENCE, "en", 0)
    frames = noises[1].shape[-1]
    schedule = ChunkSchedule(page.page.evaluate("window.polyvoxVoice.tables.first_chunk_frames"),
                             page.page.evaluate("window.polyvoxVoice.tables.max_chunk_frames"))
    assert len(list(plan_windows(frames, python_voice.metadata.streaming, schedule))) > 2  # joins to carry the phase over
    got = np.array(page.page.evaluate(SPEAK, [SENTENCE, "en", [noise.ravel().tolist() for noise in noises], streamed]), dtype=np.float32)
    assert got.shape == expected.shape
    difference = float(np.max(np.abs(got - expected)))
    print(f"{'stream' if streamed else 'synthesize'}: {len(got)} samples, max |browser - Python| {difference:.2e}")
    assert difference < AUDIO_TOLERANCE
