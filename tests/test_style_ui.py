"""The web UI's style controls: a style voice offers its labels, a strength, a sampled style and a style clip, and
speaks them as ``Voice`` does; a voice without style hides them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile

gradio = pytest.importorskip("gradio")
gradio_client = pytest.importorskip("gradio_client")

from polyvox.inference.batch import one_torch_thread  # noqa: E402
from polyvox.inference.voice import Voice  # noqa: E402
from polyvox.ui import build_ui  # noqa: E402
from polyvox.ui.voices import NEUTRAL_STYLE, SAMPLED_STYLE_CHOICE, UiVoices  # noqa: E402
from test_style_onnx import LABELS, make_style_voice  # noqa: E402
from test_ui import free_port  # noqa: E402
from tiny_voices import ENGLISH, make_tiny_voice  # noqa: E402

STYLE_MENU = [NEUTRAL_STYLE, *LABELS, SAMPLED_STYLE_CHOICE]


@pytest.fixture(scope="module")
def voices_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("style_ui_voices")
    make_tiny_voice(folder / "plain.safetensors", seed=0)
    with one_torch_thread():
        make_style_voice(folder / "styled.safetensors")
    return folder


@pytest.fixture(scope="module")
def ui_client(voices_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[gradio_client.Client]:
    page = build_ui(voices_dir / "plain.safetensors", voices_dir)
    _, url, _ = page.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True)
    try:
        yield gradio_client.Client(url, verbose=False, analytics_enabled=False, download_files=str(tmp_path_factory.mktemp("downloads")))
    finally:
        page.close()


def style_block(page: gradio.Blocks) -> tuple[gradio.Dropdown, gradio.Slider]:
    blocks = list(page.blocks.values())
    menu = next(block for block in blocks if isinstance(block, gradio.Dropdown) and block.label == "Style")
    slider = next(block for block in blocks if isinstance(block, gradio.Slider) and block.label == "Style strength")
    return menu, slider


def test_the_style_menu_lists_labels_and_a_sampled_style_only_for_style_voices(voices_dir: Path) -> None:
    voices = UiVoices(voices_dir / "plain.safetensors", voices_dir)
    assert voices.choices("styled").styles == STYLE_MENU
    assert voices.choices("plain").styles == []


@pytest.mark.parametrize(("first", "shown"), [("plain", False), ("styled", True)])
def test_the_controls_are_shown_at_load_for_a_style_voice_only(voices_dir: Path, first: str, shown: bool) -> None:
    menu, slider = style_block(build_ui(voices_dir / f"{first}.safetensors", None))
    assert menu.visible is shown and slider.visible is shown
    assert (menu.value == NEUTRAL_STYLE) is shown and slider.value == 1.0 and (slider.minimum, slider.maximum) == (0.0, 2.0)


def test_choosing_a_voice_shows_or_hides_the_style_controls(ui_client) -> None:
    menu, slider, clip = ui_client.predict("styled", api_name="/style_choices")
    assert [choice[0] for choice in menu["choices"]] == STYLE_MENU and menu["value"] == NEUTRAL_STYLE
    assert menu["visible"] is True and slider["visible"] is True and clip["visible"] is True
    menu, slider, clip = ui_client.predict("plain", api_name="/style_choices")
    assert menu["visible"] is False and slider["visible"] is False and clip["visible"] is False


def speak(ui_client, style: str, strength: float, clip: Path | None = None) -> np.ndarray:
    handle = None if clip is None else gradio_client.handle_file(str(clip))
    path = ui_client.predict(
        ENGLISH, "styled", "en", "es_m1", 1.0, 0.0, 3, None, "", None, style, strength, handle, api_name="/synthesize"
    )
    return soundfile.read(path, dtype="int16")[0]


@pytest.fixture(scope="module")
def style_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A second of a gliding tone: not silent, long enough for a reference."""
    times = np.arange(22050) / 22050
    path = tmp_path_factory.mktemp("style_clip") / "clip.wav"
    soundfile.write(str(path), (0.3 * np.sin(2 * np.pi * (150 + 100 * times) * times)).astype(np.float32), 22050)
    return path


def as_int16(samples: np.ndarray) -> np.ndarray:
    return (np.clip(samples, -1.0, 1.0) * 32767).astype(np.int16)


@pytest.mark.parametrize(
    ("style", "strength", "request_style"),
    [
        ("excited", 0.5, {"emotion": "excited", "style_strength": 0.5}),
        ("calm", 1.0, {"emotion": "calm"}),
        (SAMPLED_STYLE_CHOICE, 1.7, {"style": "sample"}),  # a sampled style has no strength: the slider is ignored
        (NEUTRAL_STYLE, 0.3, {}),  # nor has the neutral one
    ],
)
def test_a_style_speaks_as_the_voice_does(ui_client, voices_dir: Path, style: str, strength: float, request_style: dict) -> None:
    with one_torch_thread():
        expected = Voice.load(voices_dir / "styled.safetensors").synthesize(ENGLISH, "en", speaker="es_m1", seed=3, **request_style)
    np.testing.assert_array_equal(speak(ui_client, style, strength), as_int16(expected.samples))


def test_a_style_clip_speaks_as_the_voice_does_and_not_beside_a_label(ui_client, voices_dir: Path, style_clip: Path) -> None:
    with one_torch_thread():
        voice = Voice.load(voices_dir / "styled.safetensors")
        expected = voice.synthesize(ENGLISH, "en", speaker="es_m1", seed=3, style_reference=str(style_clip), style_strength=0.7)
    np.testing.assert_array_equal(speak(ui_client, NEUTRAL_STYLE, 0.7, style_clip), as_int16(expected.samples))
    with pytest.raises(gradio_client.exceptions.AppError, match="not both"):
        speak(ui_client, "calm", 1.0, style_clip)


def test_an_emotion_sent_to_a_voice_without_style_is_shown_as_a_message(ui_client) -> None:
    with pytest.raises(gradio_client.exceptions.AppError, match="no style component"):
        ui_client.predict(ENGLISH, "plain", "en", "auto", 1.0, 0.0, None, None, "", None, "excited", 1.0, api_name="/synthesize")
