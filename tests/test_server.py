"""The HTTP server as clients use it: OpenAI-style requests, every bad input as a JSON 4xx, limits, streaming."""

from __future__ import annotations

import dataclasses
import io
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import soundfile

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from fastapi.testclient import TestClient  # noqa: E402

from polyvox.server import ServerSettings, create_app  # noqa: E402
from polyvox.server.settings import ServerSettingsError  # noqa: E402
from polyvox.synthesis_settings import SynthesisSettings  # noqa: E402
from polyvox.voice_file import load_voice_file, save_voice  # noqa: E402
from live_server import live_server  # noqa: E402
from tiny_voices import ENGLISH, SPANISH, make_tiny_voice  # noqa: E402

SPEECH = "/v1/audio/speech"


@pytest.fixture(scope="module")
def voices_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two voices, alpha and beta, plus a broken file that the server must leave out."""
    folder = tmp_path_factory.mktemp("voices")
    make_tiny_voice(folder / "alpha.safetensors", seed=0)
    make_tiny_voice(folder / "beta.safetensors", seed=1)
    # slow: alpha's weights speaking at half speed by its own settings.
    tensors, metadata = load_voice_file(folder / "alpha.safetensors")
    info = {**metadata.info, "synthesis": SynthesisSettings(speed=0.5).to_info()}
    save_voice(folder / "slow.safetensors", tensors, dataclasses.replace(metadata, info=info))
    (folder / "broken.safetensors").write_bytes(b"not a voice file")
    return folder


def settings_for(folder: Path, **overrides: object) -> ServerSettings:
    values: dict[str, object] = {"default_voice": folder / "alpha.safetensors", "voices_dir": folder}
    values.update(overrides)
    return ServerSettings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def client(voices_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(settings_for(voices_dir, max_input_chars=200))) as test_client:
        yield test_client


def speak(client: TestClient, **fields: object):
    body = {"model": "tts-1", "input": ENGLISH, "voice": "alpha", "response_format": "wav", "seed": 1}
    body.update(fields)
    return client.post(SPEECH, json={key: value for key, value in body.items() if value is not None})


def read_audio(content: bytes) -> tuple[np.ndarray, int]:
    samples, rate = soundfile.read(io.BytesIO(content), dtype="float32")
    return samples, rate


def assert_json_error(response, status: int, code: str, *fragments: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == code, error
    assert error["type"] == ("invalid_request_error" if status < 500 else "server_error")
    assert "Traceback" not in response.text
    for fragment in fragments:
        assert fragment in error["message"], error["message"]


def test_speech_returns_a_wav_of_the_voice(client: TestClient) -> None:
    response = speak(client)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "audio/wav"
    assert response.headers["x-voice"] == "alpha"
    samples, rate = read_audio(response.content)
    assert rate == 22050 and len(samples) > 0 and np.isfinite(samples).all()


@pytest.mark.parametrize(
    ("response_format", "media_type", "rate"),
    [("mp3", "audio/mpeg", 22050), ("flac", "audio/flac", 22050), ("opus", "audio/ogg", 48000)],
)
def test_compressed_formats_decode(client: TestClient, response_format: str, media_type: str, rate: int) -> None:
    response = speak(client, response_format=response_format)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == media_type
    samples, file_rate = read_audio(response.content)
    assert file_rate == rate and len(samples) > 0


def test_pcm_is_16_bit_at_openai_rate_unless_asked(client: TestClient) -> None:
    wav = read_audio(speak(client, noise_scale=0, noise_scale_duration=0).content)[0]
    pcm = speak(client, response_format="pcm", noise_scale=0, noise_scale_duration=0)
    assert pcm.status_code == 200 and pcm.headers["x-sample-rate"] == "24000"
    assert len(pcm.content) % 2 == 0
    # 24 kHz from a 22.05 kHz voice: the length scales with the rate.
    assert abs(len(pcm.content) // 2 - len(wav) * 24000 / 22050) < 64
    native = speak(client, response_format="pcm", sample_rate=22050, noise_scale=0, noise_scale_duration=0)
    samples = np.frombuffer(native.content, dtype="<i2").astype(np.float32) / 32767
    assert native.headers["x-sample-rate"] == "22050"
    np.testing.assert_allclose(samples, wav, atol=2e-4)


def test_pitch_shifts_without_changing_the_length(client: TestClient) -> None:
    quiet = {"noise_scale": 0, "noise_scale_duration": 0}
    plain = read_audio(speak(client, **quiet).content)[0]
    higher = speak(client, pitch=4, **quiet)
    assert higher.status_code == 200, higher.text
    shifted = read_audio(higher.content)[0]
    assert len(shifted) == len(plain) and not np.allclose(shifted, plain, atol=1e-3)


def test_voices_lists_readable_voices_with_languages_and_speakers(client: TestClient) -> None:
    listing = client.get("/v1/voices").json()
    names = [voice["name"] for voice in listing["voices"]]
    assert names == ["alpha", "beta", "default", "slow"]  # broken.safetensors is left out
    alpha = listing["voices"][0]
    assert alpha["languages"] == ["en", "es"] and alpha["speakers"] == ["en_f3", "es_m1"]
    assert listing["openai_voice"] == "default" and "alloy" in listing["openai_voice_names"]
    assert alpha["synthesis"] == {"speed": 1.0, "noise_scale": 0.667, "noise_scale_duration": 0.8}
    assert listing["voices"][3]["synthesis"]["speed"] == 0.5


def test_a_request_without_a_speed_speaks_at_the_voices_own(client: TestClient) -> None:
    own, told = speak(client, voice="slow"), speak(client, voice="slow", speed=1.0)
    assert own.status_code == 200 and told.status_code == 200, (own.text, told.text)
    assert len(read_audio(own.content)[0]) > 1.8 * len(read_audio(told.content)[0])
    assert read_audio(told.content)[0].tolist() == read_audio(speak(client, voice="alpha", speed=1.0).content)[0].tolist()


def test_health_reports_loaded_voices(client: TestClient) -> None:
    speak(client, voice="beta")
    health = client.get("/health").json()
    assert health["status"] == "ok" and "beta" in health["voices_loaded"]
    assert health["requests_in_progress"] == 0


def test_openai_voice_names_and_model_select_voices(client: TestClient) -> None:
    assert speak(client, voice="alloy").headers["x-voice"] == "default"
    assert speak(client, voice=None).headers["x-voice"] == "default"
    assert speak(client, voice="nova", model="beta").headers["x-voice"] == "beta"
    by_suffix = speak(client, voice="alpha:es_m1", language="es", input=SPANISH, noise_scale=0, noise_scale_duration=0)
    by_field = speak(client, voice="alpha", speaker="es_m1", language="es", input=SPANISH, noise_scale=0, noise_scale_duration=0)
    assert by_suffix.status_code == 200 and by_suffix.content == by_field.content


def test_models_lists_the_voices_as_openai_models(client: TestClient) -> None:
    listing = client.get("/v1/models").json()
    assert listing["object"] == "list"
    assert [model["id"] for model in listing["data"]] == ["polyvox", "alpha", "beta", "default", "slow"]  # broken.safetensors left out
    assert all(model["object"] == "model" and model["owned_by"] == "polyvox" and model["created"] > 0 for model in listing["data"])
    assert client.get("/v1/models/beta").json()["id"] == "beta"
    assert_json_error(client.get("/v1/models/gamma"), 404, "model_not_found", "gamma", "polyvox, alpha")


def test_polyvox_is_a_model_name_like_tts_1(client: TestClient) -> None:
    assert speak(client, model="polyvox", voice="beta").headers["x-voice"] == "beta"
    assert speak(client, model="polyvox", voice=None).headers["x-voice"] == "default"
    assert speak(client, model="polyvox", voice="alloy").headers["x-voice"] == "default"


def test_openai_voice_names_can_be_refused(voices_dir: Path) -> None:
    with TestClient(create_app(settings_for(voices_dir, openai_voice=None))) as refusing:
        assert_json_error(speak(refusing, voice="alloy"), 400, "unknown_voice", "OpenAI voice", "alpha")


BAD_REQUESTS: list[tuple[str, dict[str, object], str, tuple[str, ...]]] = [
    ("empty input", {"input": ""}, "empty_input", ("empty",)),
    ("blank input", {"input": "  \n "}, "empty_input", ("empty",)),
    ("nothing speakable", {"input": "..."}, "empty_input", ("nothing to speak",)),
    ("oversized input", {"input": "a" * 201}, "input_too_long", ("201", "200")),
    ("unsupported format", {"response_format": "aac"}, "unsupported_format", ("aac", "wav")),
    ("unknown voice", {"voice": "gamma"}, "unknown_voice", ("gamma", "alpha, beta")),
    ("unknown language", {"language": "fr"}, "unknown_language", ("'fr'", "en, es")),
    ("unknown speaker", {"speaker": "zz"}, "unknown_speaker", ("zz", "en_f3")),
    ("speaker index", {"speaker": 5}, "unknown_speaker", ("5", "2 speakers")),
    ("speaker twice", {"voice": "alpha:en_f3", "speaker": "es_m1"}, "conflicting_speaker", ("given twice",)),
    ("unknown model", {"model": "whisper-9"}, "model_not_found", ("whisper-9", "polyvox", "tts-1", "GET /v1/models")),
    ("speed out of range", {"speed": 10}, "invalid_request", ("speed",)),
    ("misspelt field", {"sped": 1.2}, "invalid_request", ("sped", "not permitted")),
    ("wrong type", {"input": 3}, "invalid_request", ("input",)),
    ("sse streaming", {"stream_format": "sse"}, "unsupported_stream_format", ("sse",)),
    ("stream mp3", {"stream": True, "response_format": "mp3"}, "unsupported_format", ("mp3 cannot be streamed",)),
    ("odd sample rate", {"sample_rate": 12345}, "unsupported_sample_rate", ("12345",)),
    ("unreadable text", {"input": "Zebras juggle quickly."}, "unsupported_text", ("alpha", "never learned the sound", "polyvox finetune")),
]


@pytest.mark.parametrize(("fields", "code", "fragments"), [case[1:] for case in BAD_REQUESTS], ids=[case[0] for case in BAD_REQUESTS])
def test_bad_requests_get_a_json_400(client: TestClient, fields: dict[str, object], code: str, fragments: tuple[str, ...]) -> None:
    assert_json_error(speak(client, **fields), 400, code, *fragments)


@pytest.mark.parametrize("body", [b"{not json", b"", b"[1, 2]"], ids=["broken", "empty", "array"])
def test_malformed_bodies_get_a_json_400(client: TestClient, body: bytes) -> None:
    response = client.post(SPEECH, content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] in ("invalid_json", "invalid_request")


def test_missing_input_names_the_field(client: TestClient) -> None:
    response = client.post(SPEECH, json={"model": "tts-1", "voice": "alpha"})
    assert_json_error(response, 400, "invalid_request", "input")
    assert response.json()["error"]["param"] == "input"


def test_oversized_body_gets_413_before_it_is_read(client: TestClient) -> None:
    response = client.post(SPEECH, content=b"x" * 10_000_000, headers={"content-type": "application/json"})
    assert_json_error(response, 413, "request_too_large", "larger than")


def test_unknown_routes_and_methods_get_json(client: TestClient) -> None:
    assert_json_error(client.get("/v1/nothing"), 404, "not_found", "/v1/audio/speech")
    assert_json_error(client.get(SPEECH), 405, "method_not_allowed")


def test_broken_voice_file_is_a_clear_server_error(client: TestClient) -> None:
    assert_json_error(speak(client, voice="broken"), 500, "voice_unavailable", "broken", "not a polyvox voice file")


def test_unexpected_failure_is_a_json_500_without_details(voices_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from polyvox.inference.voice import Voice

    def explode(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("secret internals")

    monkeypatch.setattr(Voice, "synthesize", explode)
    with TestClient(create_app(settings_for(voices_dir)), raise_server_exceptions=False) as failing:
        response = speak(failing)
    assert_json_error(response, 500, "internal_error", "server log")
    assert "secret internals" not in response.text


def test_stream_encoding_has_no_seams() -> None:
    """Chunks resampled one by one equal the whole signal resampled; a streamed WAV reads back as written."""
    from polyvox.audio.io import resample
    from polyvox.server.audio_encoding import FORMATS, encode_stream

    signal = (0.5 * np.sin(np.arange(22050) / 7.0)).astype(np.float32)
    chunks = [signal[:5000], signal[5000:5001], signal[5001:]]
    pcm = b"".join(encode_stream(iter(chunks), 22050, FORMATS["pcm"], 24000))
    streamed = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32767
    whole = resample(signal, 22050, 24000)
    assert len(streamed) == len(whole)
    np.testing.assert_allclose(streamed, whole, atol=1e-4)
    wav = b"".join(encode_stream(iter(chunks), 22050, FORMATS["wav"], 22050))
    samples, rate = read_audio(wav)
    assert rate == 22050
    np.testing.assert_allclose(samples, signal, atol=1e-4)


def test_streamed_wav_matches_the_whole_file(client: TestClient) -> None:
    quiet = {"noise_scale": 0, "noise_scale_duration": 0}
    whole = read_audio(speak(client, **quiet).content)[0]
    body = {"input": ENGLISH, "voice": "alpha", "response_format": "wav", "stream": True, **quiet}
    with client.stream("POST", SPEECH, json=body) as response:
        assert response.status_code == 200
        assert "content-length" not in response.headers  # sent in chunks as it is synthesised
        content = b"".join(response.iter_bytes())
    streamed, rate = read_audio(content)
    assert rate == 22050
    assert len(streamed) == len(whole)
    np.testing.assert_allclose(streamed, whole, atol=2e-3)


def test_openai_stream_format_streams_pcm_and_sends_mp3_whole(client: TestClient) -> None:
    pcm = speak(client, response_format="pcm", stream_format="audio")
    assert pcm.status_code == 200 and "content-length" not in pcm.headers and len(pcm.content) > 0
    mp3 = speak(client, response_format="mp3", stream_format="audio")
    assert mp3.status_code == 200 and int(mp3.headers["content-length"]) == len(mp3.content)


def test_streaming_errors_before_audio_are_json(client: TestClient) -> None:
    assert_json_error(speak(client, input="Zebras juggle quickly.", stream=True), 400, "unsupported_text")


def test_error_in_a_later_sentence_ends_the_stream_early(client: TestClient) -> None:
    quiet = {"noise_scale": 0, "noise_scale_duration": 0, "response_format": "pcm", "sample_rate": 22050}
    first_sentence = speak(client, input="Hello world.", **quiet).content
    cut = speak(client, input="Hello world. Zebras juggle quickly.", stream=True, **quiet)
    assert cut.status_code == 200  # the status went out with the first chunk
    # The first sentence, then at most the pause before the unreadable one. Streamed windows equal the
    # whole sentence to float rounding, which can move a 16-bit sample by one step.
    streamed = np.frombuffer(cut.content, dtype=np.int16)
    whole = np.frombuffer(first_sentence, dtype=np.int16)
    assert len(streamed) >= len(whole)
    assert np.abs(streamed[: len(whole)].astype(np.int32) - whole).max() <= 1
    assert not streamed[len(whole) :].any()
    assert wait_until_idle(client) == 0  # the worker gives its slot back when it returns, just after the last chunk


def wait_until_idle(client: TestClient, limit_s: float = 10.0) -> int:
    """Requests in progress once none are, or after ``limit_s`` (a loaded CPU may delay a worker's return)."""
    deadline = time.monotonic() + limit_s
    while client.get("/health").json()["requests_in_progress"] and time.monotonic() < deadline:
        time.sleep(0.05)
    return int(client.get("/health").json()["requests_in_progress"])


@pytest.fixture
def blocked_synthesis(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[threading.Event, threading.Event]]:
    """Synthesis that waits for ``release``; ``started`` is set once a request is inside it."""
    from polyvox.inference.voice import Voice

    started, release = threading.Event(), threading.Event()
    original = Voice.synthesize

    def wait_then_speak(self: Voice, *args: object, **kwargs: object):
        started.set()
        release.wait(timeout=30)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Voice, "synthesize", wait_then_speak)
    yield started, release
    release.set()


def in_background(action: Callable[[], object]) -> tuple[ThreadPoolExecutor, object]:
    executor = ThreadPoolExecutor(max_workers=1)
    return executor, executor.submit(action)


def test_full_queue_is_refused_with_503(voices_dir: Path, blocked_synthesis) -> None:
    started, release = blocked_synthesis
    with TestClient(create_app(settings_for(voices_dir, max_concurrent=1, max_queued=0))) as busy:
        executor, first = in_background(lambda: speak(busy))
        assert started.wait(timeout=30)
        refused = speak(busy)
        assert_json_error(refused, 503, "server_busy", "retry")
        assert refused.headers["retry-after"] == "1"
        release.set()
        assert first.result(timeout=60).status_code == 200
        executor.shutdown()
        assert speak(busy).status_code == 200  # the slot was given back


def test_slow_request_gets_504_and_frees_its_slot(voices_dir: Path, blocked_synthesis) -> None:
    started, release = blocked_synthesis
    with TestClient(create_app(settings_for(voices_dir, max_concurrent=1, max_queued=0, request_timeout_s=0.5))) as slow:
        assert_json_error(speak(slow), 504, "timeout", "limit")
        assert slow.get("/health").json()["requests_in_progress"] == 1  # the thread is still running
        release.set()
        assert wait_until_idle(slow, 30) == 0


def test_concurrent_clients_all_get_their_audio(voices_dir: Path) -> None:
    with TestClient(create_app(settings_for(voices_dir, max_concurrent=2, max_queued=16))) as shared:
        voices = ["alpha", "beta"] * 6
        with ThreadPoolExecutor(max_workers=12) as clients:
            responses = list(clients.map(lambda name: speak(shared, voice=name, noise_scale=0, noise_scale_duration=0), voices))
    assert [response.status_code for response in responses] == [200] * 12
    by_voice = {name: {answer.content for answer, voice in zip(responses, voices, strict=True) if voice == name} for name in voices}
    # Same voice and settings: identical audio whatever else ran beside it; the two voices differ.
    assert len(by_voice["alpha"]) == 1 and len(by_voice["beta"]) == 1 and by_voice["alpha"] != by_voice["beta"]


def test_voice_cache_is_bounded(voices_dir: Path) -> None:
    with TestClient(create_app(settings_for(voices_dir, voice_cache_size=1))) as small:
        speak(small, voice="alpha")
        speak(small, voice="beta")
        assert small.get("/health").json()["voices_loaded"] == ["beta"]


def test_voices_are_served_in_the_chosen_precision(voices_dir: Path) -> None:
    spoken = {}
    for precision in ("float32", "bfloat16"):
        with TestClient(create_app(settings_for(voices_dir, precision=precision))) as live:
            response = speak(live)
            assert response.status_code == 200
            spoken[precision] = response.content
    # Same request and seed: the same length of audio, computed differently.
    assert len(spoken["bfloat16"]) == len(spoken["float32"])
    assert spoken["bfloat16"] != spoken["float32"]


def test_new_voice_files_are_served_without_restart(voices_dir: Path, tmp_path: Path) -> None:
    folder = tmp_path / "voices"
    folder.mkdir()
    with TestClient(create_app(ServerSettings(default_voice=voices_dir / "alpha.safetensors", voices_dir=folder))) as live:
        assert_json_error(speak(live, voice="gamma"), 400, "unknown_voice")
        shutil.copy(voices_dir / "beta.safetensors", folder / "gamma.safetensors")
        assert speak(live, voice="gamma").status_code == 200


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [({"max_concurrent": 0}, "--max-concurrent"), ({"voices_dir": Path("/no/such/folder")}, "--voices-dir"),
     ({"default_voice": Path("/no/voice.safetensors")}, "--default-voice"), ({"precision": "float16"}, "--precision")],
)
def test_bad_settings_are_refused(voices_dir: Path, overrides: dict[str, object], fragment: str) -> None:
    with pytest.raises(ServerSettingsError, match=fragment):
        settings_for(voices_dir, **overrides)


def test_openai_voice_setting_must_name_a_voice(voices_dir: Path) -> None:
    with pytest.raises(ServerSettingsError, match="--openai-voice"):
        create_app(settings_for(voices_dir, openai_voice="gamma"))


def test_serve_command_without_the_extra_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from typer.testing import CliRunner

    from polyvox.cli import app

    monkeypatch.setitem(sys.modules, "uvicorn", None)  # makes `import uvicorn` fail as if it were not installed
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 1
    assert result.output.strip() == "error: the server needs FastAPI and uvicorn: pip install 'polyvox[server]'"


def test_serve_command_reports_bad_options_in_one_line(voices_dir: Path) -> None:
    from typer.testing import CliRunner

    from polyvox.cli import app

    result = CliRunner().invoke(app, ["serve", "--voices-dir", str(voices_dir / "missing"), "--port", "1"])
    assert result.exit_code == 1, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --voices-dir"), result.output


def test_real_server_holds_sixteen_concurrent_clients(voices_dir: Path) -> None:
    """uvicorn on loopback, 16 clients at once, 32 requests in all (a mix of whole and streamed): none fails."""
    import asyncio

    import httpx

    async def client_requests(client: httpx.AsyncClient, index: int) -> list[tuple[int, int]]:
        results = []
        for attempt in range(2):
            voice, response_format = ("alpha", "beta")[index % 2], ("wav", "pcm")[attempt]
            fields = {"input": ENGLISH, "voice": voice, "response_format": response_format, "stream": attempt == 1}
            response = await client.post(SPEECH, json=fields)
            results.append((response.status_code, len(response.content)))
        return results

    async def load(port: int) -> list[tuple[int, int]]:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            per_client = await asyncio.gather(*(client_requests(client, index) for index in range(16)))
        return [result for results in per_client for result in results]

    with live_server(create_app(settings_for(voices_dir))) as port:
        results = asyncio.run(asyncio.wait_for(load(port), timeout=120))
    assert [status for status, _ in results] == [200] * 32
    assert all(size > 1000 for _, size in results)
