"""The web UI driven as a browser would, through Gradio's own client: speak, switch voices, see errors."""

from __future__ import annotations

import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import soundfile

gradio = pytest.importorskip("gradio")
gradio_client = pytest.importorskip("gradio_client")

from polyvox.cli_support import DEFAULT_VOICE  # noqa: E402
from polyvox.ui import build_ui  # noqa: E402
from tiny_voices import ENGLISH, SPEAKERS, make_tiny_voice  # noqa: E402


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def ui_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[gradio_client.Client]:
    folder = tmp_path_factory.mktemp("ui_voices")
    make_tiny_voice(folder / "alpha.safetensors", seed=0)
    # The bundled voice has a reference encoder (the tiny one has none).
    shutil.copy(DEFAULT_VOICE, folder / "bundled.safetensors")
    page = build_ui(folder / "alpha.safetensors", folder)
    _, url, _ = page.launch(server_name="127.0.0.1", server_port=free_port(), prevent_thread_lock=True, quiet=True)
    try:
        yield gradio_client.Client(
            url, verbose=False, analytics_enabled=False, download_files=str(tmp_path_factory.mktemp("ui_downloads")),
        )
    finally:
        page.close()


def test_speak_returns_playable_audio(ui_client) -> None:
    path = ui_client.predict(ENGLISH, "default", "en", "auto", 1.2, 0.0, None, None, api_name="/synthesize")
    samples, rate = soundfile.read(path, dtype="float32")
    assert rate == 22050 and len(samples) > 0


def test_speed_changes_the_length_and_a_seed_repeats(ui_client) -> None:
    def speak(speed: float) -> list[float]:
        path = ui_client.predict(ENGLISH, "alpha", "en", "en_f3", speed, 0.0, 3, None, api_name="/synthesize")
        return soundfile.read(path, dtype="float32")[0].tolist()

    normal, fast = speak(1.0), speak(2.0)
    assert len(fast) < len(normal) * 0.75
    assert speak(2.0) == fast


def test_choosing_a_voice_offers_its_languages_and_speakers(ui_client) -> None:
    languages, speakers, speed = ui_client.predict("alpha", api_name="/voice_choices")
    assert [choice[0] for choice in languages["choices"]] == ["en", "es"] and languages["value"] == "en"
    assert [choice[0] for choice in speakers["choices"]] == ["auto", *SPEAKERS] and speakers["value"] == "auto"
    assert speed["value"] == 1.0  # a voice that names no speed of its own


def test_the_speed_slider_starts_at_the_voices_own_rate(ui_client) -> None:
    # The bundled voice speaks at 0.9 (docs/synthesis.md); a score, which sets its own durations, is taken at that rate.
    _, _, speed = ui_client.predict("bundled", api_name="/voice_choices")
    assert speed["value"] == 0.9
    notes = Path(__file__).parents[1] / "docs" / "scores" / "twinkle.json"
    path = ui_client.predict(
        "", "bundled", "en", "auto", 0.9, 0.0, 1, None, "", gradio_client.handle_file(str(notes)), api_name="/synthesize"
    )
    assert soundfile.info(path).duration > 1.0


@pytest.mark.parametrize(
    ("text", "fragment"),
    [("   ", "type some text"), ("Zebras juggle quickly.", "never learned the sound")],
    ids=["empty", "unreadable"],
)
def test_bad_input_is_shown_as_a_message(ui_client, text: str, fragment: str, capfd: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(gradio_client.exceptions.AppError, match=fragment):
        ui_client.predict(text, "alpha", "en", "auto", 1.0, 0.0, None, None, api_name="/synthesize")
    assert "Traceback" not in capfd.readouterr().err  # the visitor's mistake, not the program's: no traceback in the console


def test_ui_command_names_its_address_and_not_gradios_share_advice(monkeypatch: pytest.MonkeyPatch) -> None:
    import polyvox.ui
    from typer.testing import CliRunner

    from polyvox.cli import app

    class Page:
        is_running = False  # closed at once, as after Ctrl-C

        def launch(self, **options: object) -> tuple[None, str, None]:
            self.options = options
            return None, f"http://{options['server_name']}:{options['server_port']}/", None

        def close(self) -> None:
            self.closed = True

    page = Page()
    monkeypatch.setattr(polyvox.ui, "build_ui", lambda default_voice, voices_dir, text_features: page)
    result = CliRunner().invoke(app, ["ui", "--port", "7999"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "polyvox ui: open http://127.0.0.1:7999/ in a browser (Ctrl-C stops)"
    assert page.options["quiet"] is True and page.closed  # Gradio's own lines (share=True in launch()) stay out


def test_ui_command_reports_a_missing_voices_folder(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from polyvox.cli import app

    result = CliRunner().invoke(app, ["ui", "--voices-dir", str(tmp_path / "missing")])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: --voices-dir {tmp_path / 'missing'} is not a folder")


def test_ui_command_without_gradio_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from typer.testing import CliRunner

    from polyvox.cli import app

    monkeypatch.setitem(sys.modules, "gradio", None)  # makes `import gradio` fail as if it were not installed
    result = CliRunner().invoke(app, ["ui"])
    assert result.exit_code == 1
    assert result.output.strip() == "error: the web UI needs Gradio: pip install 'polyvox[ui]'"


@pytest.fixture(scope="module")
def reference_clip(tmp_path_factory: pytest.TempPathFactory, engine) -> Path:
    from polyvox.audio.io import save_audio
    from polyvox.data.corpus.espeak_engine import VoiceSettings

    # A female clip: the bundled voice's male timbres are not read as periodic by the pitch tracker (a male clip's
    # nearest timbre, piper_joe, is periodic in 3 % of its frames), so whether a male clip's pitch is followed cannot be seen.
    synthesis = engine.synthesize("Bonjour, je suis une voix de référence.", VoiceSettings(voice_names=("fr+f3",)))
    path = tmp_path_factory.mktemp("reference") / "clip.wav"
    save_audio(path, synthesis.samples.astype("float32") / 32768.0, synthesis.sample_rate)
    return path


def test_a_reference_clip_sets_the_voice(ui_client, reference_clip: Path) -> None:
    clip = gradio_client.handle_file(str(reference_clip))
    path = ui_client.predict("Hello there.", "bundled", "en", "auto", 1.0, 0.0, 1, clip, api_name="/synthesize")
    cloned = soundfile.read(path, dtype="float32")[0]
    plain = soundfile.read(ui_client.predict("Hello there.", "bundled", "en", "auto", 1.0, 0.0, 1, None, api_name="/synthesize"), dtype="float32")[0]
    assert len(cloned) > 0 and (len(cloned) != len(plain) or abs(cloned - plain).max() > 1e-3)
    # The clip's pitch is followed unless the box is cleared (measured: the clip 206 Hz; 205 Hz followed, 253 Hz kept).
    from polyvox.inference.reference_pitch import median_f0, reference_f0

    kept_path = ui_client.predict("Hello there.", "bundled", "en", "auto", 1.0, 0.0, 1, clip, reference_pitch=False, api_name="/synthesize")
    kept, rate = soundfile.read(kept_path, dtype="float32")
    clip_hz = reference_f0(rate, str(reference_clip))
    assert abs(median_f0(cloned, rate) - clip_hz) < 0.5 * abs(median_f0(kept, rate) - clip_hz)
    with pytest.raises(gradio_client.exceptions.AppError, match="no reference encoder"):
        ui_client.predict(ENGLISH, "alpha", "en", "auto", 1.0, 0.0, None, clip, api_name="/synthesize")
