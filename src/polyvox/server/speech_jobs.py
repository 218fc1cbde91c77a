"""The work a planned speech request does on a pool thread, and what its errors mean to the client."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

from polyvox.checkpoint import VoiceFileError
from polyvox.inference.voice import SynthesisError
from polyvox.server.audio_encoding import encode, encode_stream
from polyvox.server.errors import ApiError
from polyvox.server.schemas import SpeechRequest
from polyvox.server.speech_plan import SpeechPlan
from polyvox.server.voice_cache import VoiceCache
from polyvox.text.errors import EmptyTextError, TextError, UnknownLanguageError


def _voice_options(request: SpeechRequest, plan: SpeechPlan) -> dict[str, Any]:
    return {
        "language": plan.language,
        "speaker": plan.speaker,
        "speed": request.speed,
        "noise_scale": request.noise_scale,
        "noise_scale_duration": request.noise_scale_duration,
        "seed": request.seed,
        "pitch": request.pitch,
    }


def whole_audio_job(request: SpeechRequest, plan: SpeechPlan, cache: VoiceCache) -> Callable[[], bytes]:
    """A job that returns the complete encoded body."""

    def job() -> bytes:
        with cache.get(plan.voice_file).borrow() as voice:
            result = voice.synthesize(request.input, **_voice_options(request, plan))
        return encode(result.samples, result.sample_rate, plan.audio_format, plan.sample_rate)

    return job


def streamed_audio_job(request: SpeechRequest, plan: SpeechPlan, cache: VoiceCache) -> Callable[[], Generator[bytes, None, None]]:
    """A producer of body chunks as the voice streams them; keeps its voice replica until closed."""

    def produce() -> Generator[bytes, None, None]:
        with cache.get(plan.voice_file).borrow() as voice:
            chunks = voice.stream(request.input, **_voice_options(request, plan))
            try:
                yield from encode_stream(chunks, voice.sample_rate, plan.audio_format, plan.sample_rate)
            finally:
                close = getattr(chunks, "close", None)  # a generator: stop its work when the client leaves early
                if close is not None:
                    close()

    return produce


def client_error(error: Exception, plan: SpeechPlan) -> ApiError | None:
    """The API error for a polyvox error raised by synthesis; None for one the client did not cause."""
    name = plan.voice_file.name
    if isinstance(error, EmptyTextError):
        return ApiError(400, "empty_input", f"input has nothing to speak: {error}", "input")
    if isinstance(error, UnknownLanguageError):
        return ApiError(400, "unknown_language", str(error), "language")
    if isinstance(error, TextError):
        return ApiError(400, "unsupported_text", f"voice {name!r} cannot read this input: {error}", "input")
    if isinstance(error, SynthesisError):
        return ApiError(400, "invalid_request", str(error))
    if isinstance(error, VoiceFileError):
        return ApiError(500, "voice_unavailable", f"voice {name!r} cannot be loaded: {error}")
    return None
