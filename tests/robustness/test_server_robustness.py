"""#24 items 7-10 and 14: the server answers every bad request and broken voice with a JSON 4xx or
voice_unavailable, keeps keep-alive connections open after an internal error, and checks an API key."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("httpx")

from fastapi.testclient import TestClient  # noqa: E402
from typer.testing import CliRunner  # noqa: E402

from broken_voices import BREAKAGES, break_voice  # noqa: E402
from live_server import live_server  # noqa: E402
from polyvox.server import ServerSettings, create_app  # noqa: E402
from tiny_voices import ENGLISH, make_tiny_voice  # noqa: E402

SPEECH = "/v1/audio/speech"
UNREADABLE_HEADER = ("config field of the wrong type", "languages a string", "extra speaker names")


@pytest.fixture(scope="module")
def voices_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("voices")
    alpha = make_tiny_voice(folder / "alpha.safetensors", seed=0)
    for index, kind in enumerate(BREAKAGES):
        break_voice(alpha, folder / f"broken{index}.safetensors", kind)
    return folder


def _settings(folder: Path, **overrides) -> ServerSettings:
    return ServerSettings(default_voice=folder / "alpha.safetensors", voices_dir=folder, **overrides)


@pytest.fixture(scope="module")
def client(voices_dir) -> Iterator[TestClient]:
    with TestClient(create_app(_settings(voices_dir))) as test_client:
        yield test_client


def _speak(client, **fields):
    body = {"input": ENGLISH, "voice": "alpha", "response_format": "wav", **fields}
    return client.post(SPEECH, json=body)


@pytest.mark.parametrize("seed", [2**70, -1])
def test_a_seed_out_of_range_is_a_400_naming_the_field(client, seed):
    response = _speak(client, seed=seed)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["param"] == "seed"


def test_the_largest_seed_speaks(client):
    assert _speak(client, seed=2**63 - 1).status_code == 200


def test_broken_voices_are_left_out_of_the_list(client):
    response = client.get("/v1/voices")
    assert response.status_code == 200, response.text
    listed = {voice["name"] for voice in response.json()["voices"]}
    broken_names = {f"broken{list(BREAKAGES).index(kind)}" for kind in UNREADABLE_HEADER}
    assert "alpha" in listed and not listed & broken_names


@pytest.mark.parametrize("kind", list(BREAKAGES))
def test_every_broken_voice_is_voice_unavailable_naming_the_problem(client, kind):
    response = _speak(client, voice=f"broken{list(BREAKAGES).index(kind)}")
    assert response.status_code == 500, response.text
    error = response.json()["error"]
    assert error["code"] == "voice_unavailable", error
    assert BREAKAGES[kind] in error["message"]


def test_an_internal_error_keeps_the_keep_alive_connection_open(voices_dir, monkeypatch):
    """Real uvicorn, one HTTP/1.1 connection: a 500, then more requests on the same connection."""
    from polyvox.inference.voice import Voice

    def explode(*_args, **_kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(Voice, "synthesize", explode)
    with live_server(create_app(_settings(voices_dir)), log_level="critical") as port:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            statuses = []
            for _ in range(2):
                body = json.dumps({"input": ENGLISH, "voice": "alpha"})
                connection.request("POST", SPEECH, body, {"Content-Type": "application/json"})
                response = connection.getresponse()
                answer = json.loads(response.read())
                statuses.append((response.status, answer["error"]["code"]))
                assert "secret internals" not in json.dumps(answer)
            connection.request("GET", "/health")
            health = connection.getresponse()
            health.read()
        finally:
            connection.close()
    assert statuses == [(500, "internal_error")] * 2
    assert health.status == 200


def test_an_api_key_is_required_as_a_bearer_token(voices_dir):
    with TestClient(create_app(_settings(voices_dir, api_key="sesame"))) as keyed:
        missing = keyed.get("/v1/voices")
        wrong = keyed.get("/v1/voices", headers={"Authorization": "Bearer guess"})
        right = keyed.get("/v1/voices", headers={"Authorization": "Bearer sesame"})
        spoken = keyed.post(SPEECH, json={"input": ENGLISH, "voice": "alpha"}, headers={"Authorization": "Bearer sesame"})
        health = keyed.get("/health")
    for refused in (missing, wrong):
        assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_api_key"
        assert refused.headers["www-authenticate"] == "Bearer"
    assert "Authorization: Bearer KEY" in missing.json()["error"]["message"]
    assert right.status_code == 200 and spoken.status_code == 200 and health.status_code == 200


@pytest.mark.parametrize(
    ("arguments", "environment", "warned"),
    [
        (["--host", "0.0.0.0"], {}, True),
        (["--host", "0.0.0.0", "--api-key", "sesame"], {}, False),
        (["--host", "0.0.0.0"], {"POLYVOX_API_KEY": "sesame"}, False),
        (["--host", "127.0.0.1"], {}, False),
    ],
)
def test_serving_beyond_loopback_without_a_key_warns(voices_dir, monkeypatch, arguments, environment, warned):
    import uvicorn

    from polyvox.cli import app

    started = {}
    monkeypatch.setattr(uvicorn, "run", lambda application, **options: started.update(options, app=application))
    result = CliRunner().invoke(app, ["serve", "--default-voice", str(voices_dir / "alpha.safetensors"), *arguments], env=environment)
    assert result.exit_code == 0, result.output
    assert ("without an API key" in result.output) == warned
    assert started["host"] == arguments[1]


def test_say_and_doctor_give_one_line_for_every_broken_voice(voices_dir, tmp_path):
    from polyvox.cli import app

    for index, kind in enumerate(BREAKAGES):
        voice = str(voices_dir / f"broken{index}.safetensors")
        said = CliRunner().invoke(app, ["say", ENGLISH, "--voice", voice, "-o", str(tmp_path / "out.wav")])
        lines = said.output.strip().splitlines()
        assert said.exit_code == 1 and len(lines) == 1 and BREAKAGES[kind] in lines[0], (kind, said.output)
        assert not (tmp_path / "out.wav").exists()
        checked = CliRunner().invoke(app, ["doctor", voice])
        assert checked.exit_code == 1 and isinstance(checked.exception, SystemExit), (kind, checked.output)  # no traceback
        assert checked.output.rstrip().endswith("FAIL") or checked.output.startswith("error: "), (kind, checked.output)

