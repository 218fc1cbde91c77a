"""The FastAPI application: ``POST /v1/audio/speech`` and ``GET /v1/models`` (OpenAI-compatible), ``GET /v1/voices``,
``GET /health``."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from polyvox import __version__
from polyvox.errors import PolyvoxError
from polyvox.server.api_key import RequireApiKey
from polyvox.server.error_guard import ContainErrors
from polyvox.server.errors import ApiError, register_error_handlers, validation_message
from polyvox.server.model_list import find_model, model_list
from polyvox.server.schemas import HealthResponse, ModelInfo, ModelList, SpeechRequest, VoiceInfo, VoicesResponse
from polyvox.server.settings import ServerSettings, ServerSettingsError
from polyvox.server.speech_jobs import client_error, streamed_audio_job, whole_audio_job
from polyvox.server.speech_plan import OPENAI_VOICES, plan_speech
from polyvox.server.synthesis_pool import SynthesisPool
from polyvox.server.voice_cache import VoiceCache
from polyvox.server.voice_catalog import DEFAULT_VOICE_NAME, VoiceCatalog
from polyvox.synthesis_settings import SynthesisSettings

_AUDIO_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"audio/mpeg": {}, "audio/ogg": {}, "audio/wav": {}, "audio/flac": {}, "audio/pcm": {}}},
    400: {"description": "Bad request: the JSON error names the field"},
    503: {"description": "Server busy; retry after the Retry-After seconds"},
    504: {"description": "Synthesis took longer than the server's time limit"},
}


# The body is read by hand (for its size limit and JSON errors), so its schema is given to OpenAPI here.
_SPEECH_SCHEMA = SpeechRequest.model_json_schema()


async def read_speech_request(request: Request, max_bytes: int) -> SpeechRequest:
    """The request body as a ``SpeechRequest``; too large, not JSON or invalid bodies raise ``ApiError``."""
    too_large = ApiError(413, "request_too_large", f"request body is larger than {max_bytes} bytes; send shorter text")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_large
    body = bytearray()
    async for part in request.stream():
        body += part
        if len(body) > max_bytes:
            raise too_large
    try:
        return SpeechRequest.model_validate_json(bytes(body))
    except ValidationError as error:
        errors = error.errors(include_url=False)
        if any(entry["type"] == "json_invalid" for entry in errors):
            raise ApiError(400, "invalid_json", f"the request body is not valid JSON ({errors[0]['msg']})") from None
        message, param = validation_message(errors)
        raise ApiError(400, "invalid_request", message, param) from None


def _check_openai_voice(openai_voice: str | None, catalog: VoiceCatalog) -> None:
    names = catalog.files()
    if openai_voice is not None and openai_voice.partition(":")[0] not in names:
        raise ServerSettingsError(
            f"--openai-voice {openai_voice!r} names no voice of this server; use one of: {', '.join(sorted(names))}, or 'none'"
        )


def create_app(settings: ServerSettings | None = None) -> FastAPI:
    settings = settings or ServerSettings()
    catalog = VoiceCatalog(settings.default_voice, settings.voices_dir)
    _check_openai_voice(settings.openai_voice, catalog)
    cache = VoiceCache(
        settings.voice_cache_size, max_replicas=settings.max_concurrent, precision=settings.precision, text_features=settings.text_features
    )
    pool = SynthesisPool(settings.max_concurrent, settings.max_queued, settings.request_timeout_s)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        pool.shutdown()

    app = FastAPI(title="polyvox", version=__version__, lifespan=lifespan)
    register_error_handlers(app)

    @app.get("/health", response_model=HealthResponse)
    async def health() -> HealthResponse:
        return HealthResponse(
            status="ok", voices_loaded=cache.loaded_names(), requests_in_progress=pool.in_progress, capacity=pool.capacity,
        )

    @app.get("/v1/voices", response_model=VoicesResponse)
    async def voices() -> VoicesResponse:
        listed = await run_in_threadpool(catalog.readable)
        loaded = set(cache.loaded_names())
        return VoicesResponse(
            voices=[
                VoiceInfo(
                    name=voice_file.name, languages=list(metadata.languages), speakers=list(metadata.speakers),
                    sample_rate=metadata.config.audio.sample_rate, loaded=voice_file.name in loaded,
                    synthesis=dataclasses.asdict(SynthesisSettings.from_info(metadata.info)),
                )
                for voice_file, metadata in listed
            ],
            default_voice=DEFAULT_VOICE_NAME,
            openai_voice=settings.openai_voice,
            openai_voice_names=sorted(OPENAI_VOICES),
        )

    @app.get("/v1/models", response_model=ModelList)
    async def models() -> ModelList:
        return await run_in_threadpool(model_list, catalog)

    @app.get("/v1/models/{model_id}", response_model=ModelInfo)
    async def model(model_id: str) -> ModelInfo:
        return await run_in_threadpool(find_model, catalog, model_id)

    @app.post(
        "/v1/audio/speech",
        response_class=Response,
        responses=_AUDIO_RESPONSES,
        openapi_extra={"requestBody": {"required": True, "content": {"application/json": {"schema": _SPEECH_SCHEMA}}}},
    )
    async def speech(request: Request) -> Response:
        """Speak ``input``; the body is the audio (streamed for pcm and wav when asked)."""
        payload = await read_speech_request(request, settings.max_body_bytes)
        plan = await run_in_threadpool(plan_speech, payload, catalog, settings)
        headers = {"X-Sample-Rate": str(plan.sample_rate), "X-Voice": plan.voice_file.name}
        try:
            if plan.stream:
                chunks = await pool.open_stream(streamed_audio_job(payload, plan, cache))
                return StreamingResponse(chunks, media_type=plan.audio_format.media_type, headers=headers)
            body = await pool.run(whole_audio_job(payload, plan, cache))
        except PolyvoxError as error:
            mapped = client_error(error, plan)
            if mapped is None:
                raise
            raise mapped from error
        return Response(body, media_type=plan.audio_format.media_type, headers=headers)

    if settings.api_key is not None:
        app.add_middleware(RequireApiKey, api_key=settings.api_key)
    # Last added, so outermost: nothing raised inside (a handler, a middleware) escapes to uvicorn.
    app.add_middleware(ContainErrors)
    return app
