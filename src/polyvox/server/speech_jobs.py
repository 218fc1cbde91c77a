"""The work a planned speech request does on a pool thread, and what its errors mean to the client."""

from __future__ import annotations

from collections.abc import Callable, Generator

from polyvox.voice_file import VoiceFileError
from polyvox.errors import PolyvoxError
from polyvox.inference.style import StyleSamplerError
from polyvox.inference.voice import SynthesisError
from polyvox.text.text_features import TextFeaturesError
from polyvox.server.audio_encoding import encode, encode_stream
from polyvox.server.errors import ApiError
from polyvox.server.schemas import SpeechRequest
from polyvox.server.speech_plan import SpeechPlan
from polyvox.server.voice_cache import VoiceCache
from polyvox.speech_request import SPECS
from polyvox.speech_request import SpeechRequest as Speech
from polyvox.text.errors import EmptyTextError, TextError, UnknownLanguageError


def speech_request(request: SpeechRequest, plan: SpeechPlan) -> Speech:
    """What the voice is asked: the body's options, with the language and speaker that the plan resolved."""
    options = {name: getattr(request, name) for name in SPECS if name in SpeechRequest.model_fields}
    return Speech(**{**options, "text": request.input, "language": plan.language, "speaker": plan.speaker})


def whole_audio_job(request: SpeechRequest, plan: SpeechPlan, cache: VoiceCache) -> Callable[[], bytes]:
    """A job that returns the complete encoded body."""

    def job() -> bytes:
        with cache.get(plan.voice_file).borrow() as voice:
            result = voice.synthesize(speech_request(request, plan))
        return encode(result.samples, result.sample_rate, plan.audio_format, plan.sample_rate)

    return job


def streamed_audio_job(request: SpeechRequest, plan: SpeechPlan, cache: VoiceCache) -> Callable[[], Generator[bytes, None, None]]:
    """A producer of body chunks as the voice streams them; keeps its voice replica until closed."""

    def produce() -> Generator[bytes, None, None]:
        with cache.get(plan.voice_file).borrow() as voice:
            chunks = voice.stream(speech_request(request, plan))
            try:
                yield from encode_stream(chunks, voice.sample_rate, plan.audio_format, plan.sample_rate)
            finally:
                close = getattr(chunks, "close", None)  # a generator: stop its work when the client leaves early
                if close is not None:
                    close()

    return produce


def client_error(error: PolyvoxError, plan: SpeechPlan) -> ApiError | None:
    """The API error for a polyvox error raised by synthesis; None for one the client did not cause."""
    name = plan.voice_file.name
    if isinstance(error, EmptyTextError):
        return ApiError(400, "empty_input", f"input has nothing to speak: {error}", "input")
    if isinstance(error, UnknownLanguageError):
        return ApiError(400, "unknown_language", str(error), "language")
    if isinstance(error, TextError):
        return ApiError(400, "unsupported_text", f"voice {name!r} cannot read this input: {error}", "input")
    if isinstance(error, StyleSamplerError):
        return ApiError(500, "voice_unavailable", f"voice {name!r} cannot speak this request: {error}")
    if isinstance(error, SynthesisError):
        return ApiError(400, "invalid_request", str(error))
    if isinstance(error, (VoiceFileError, TextFeaturesError)):  # the latter: the server's --text-features does not fit it
        return ApiError(500, "voice_unavailable", f"voice {name!r} cannot be loaded: {error}")
    return None
