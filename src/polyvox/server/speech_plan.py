"""Turns a speech request into a plan: which voice file, language, speaker, format and rate.

Everything a request can get wrong is checked here, before any synthesis, and answered with a
400 that names the field. Voice names follow one mapping (docs/server.md):

1. ``voice`` names a polyvox voice, optionally ``name:speaker``: that voice.
2. ``voice`` is omitted or an OpenAI voice name (alloy, nova, ...): the voice named by ``model``
   when it is a polyvox voice; otherwise, for an omitted voice, ``default``; for an OpenAI name,
   the server's ``openai_voice`` setting (refused with 400 when that is off).
3. Anything else: 400 ``unknown_voice`` listing the voices.
"""

from __future__ import annotations

from dataclasses import dataclass

from polyvox.voice_file import VoiceFileError, VoiceMetadata
from polyvox.inference.request import check_style_sampler, speaker_index, style_label, voice_language
from polyvox.inference.result import SynthesisError
from polyvox.inference.score import Score, ScoreError
from polyvox.server.audio_encoding import FORMATS, AudioFormat
from polyvox.server.errors import ApiError
from polyvox.server.schemas import SpeechRequest
from polyvox.server.settings import ServerSettings
from polyvox.server.voice_catalog import DEFAULT_VOICE_NAME, VoiceCatalog, VoiceFile

OPENAI_VOICES = frozenset(
    {"alloy", "ash", "ballad", "coral", "echo", "fable", "onyx", "nova", "sage", "shimmer", "verse", "marin", "cedar"}
)
# OpenAI's speech models (tts-1, tts-1-hd, gpt-4o-mini-tts, ...) and polyvox's own name: accepted, the voice decides.
OPENAI_MODEL_PREFIXES = ("tts-", "gpt-")
POLYVOX_MODEL = "polyvox"


def names_any_voice(model: str) -> bool:
    """Whether ``model`` is a model name that leaves the voice to the ``voice`` field (not a voice name)."""
    return model == POLYVOX_MODEL or model.startswith(OPENAI_MODEL_PREFIXES)


@dataclass(frozen=True)
class SpeechPlan:
    voice_file: VoiceFile
    metadata: VoiceMetadata
    language: str
    speaker: str | int | None
    audio_format: AudioFormat
    sample_rate: int
    stream: bool


def plan_speech(request: SpeechRequest, catalog: VoiceCatalog, settings: ServerSettings) -> SpeechPlan:
    if request.phonemes is None and request.score is None:
        _check_input(request.input, settings.max_input_chars)
    else:
        _check_written(request, settings.max_input_chars)
    audio_format = _audio_format(request)
    voice_file, voice_speaker = _voice(request, catalog, settings)
    speaker = _merge_speakers(voice_speaker, request.speaker)
    try:
        metadata = catalog.metadata(voice_file)
    except VoiceFileError as error:
        raise ApiError(500, "voice_unavailable", f"voice {voice_file.name!r} cannot be read: {error}") from error
    # The voice's own checks, worded with its name and answered before the voice is loaded.
    who = f"voice {voice_file.name!r}"
    try:
        language = voice_language(request.language, metadata.languages, who)
    except SynthesisError as error:
        raise ApiError(400, "unknown_language", str(error), "language") from error
    if speaker is not None:
        try:
            speaker_index(speaker, metadata.speakers, who)
        except SynthesisError as error:
            raise ApiError(400, "unknown_speaker", str(error), "speaker") from error
    _check_style(request, metadata, who)
    return SpeechPlan(
        voice_file, metadata, language, speaker, audio_format,
        _sample_rate(request.sample_rate, audio_format, metadata.config.audio.sample_rate),
        stream=audio_format.streamable and (request.stream or request.stream_format == "audio"),
    )


def _check_style(request: SpeechRequest, metadata: VoiceMetadata, who: str) -> None:
    """emotion, style_strength and style against the voice's style component, labels and sampler (one-line 400s)."""
    style = metadata.config.model.style
    wants_style = request.emotion is not None or request.style_strength != 1.0
    try:
        style_label(style, request.emotion, wants_style, who)
    except SynthesisError as error:
        code = "unknown_emotion" if style.enabled else "no_style"
        raise ApiError(400, code, str(error), "emotion" if request.emotion is not None else "style_strength") from error
    try:
        check_style_sampler(metadata.config.model, request.style, who)
    except SynthesisError as error:
        raise ApiError(400, "no_style_sampler", str(error), "style") from error


def _check_input(text: str, max_chars: int) -> None:
    if not text.strip():
        raise ApiError(400, "empty_input", "input is empty; send the text to speak", "input")
    if len(text) > max_chars:
        raise ApiError(
            400, "input_too_long",
            f"input has {len(text)} characters; this server accepts at most {max_chars} a request: split the text",
            "input",
        )


def _check_written(request: SpeechRequest, max_chars: int) -> None:
    """Phonemes or a score instead of the input text: given once, not too long, the score well formed."""
    if request.input.strip() or (request.phonemes is not None and request.score is not None):
        raise ApiError(400, "conflicting_input", "give input, phonemes or score, not two of them: a score carries its own phonemes")
    if request.phonemes is not None and len(request.phonemes) > max_chars:
        raise ApiError(400, "input_too_long", f"phonemes has {len(request.phonemes)} characters; at most {max_chars}: split it", "phonemes")
    if request.score is not None:
        try:
            Score.parse(request.score)
        except ScoreError as error:
            raise ApiError(400, "invalid_score", str(error), "score") from error


def _audio_format(request: SpeechRequest) -> AudioFormat:
    audio_format = FORMATS.get(request.response_format.lower())
    if audio_format is None:
        raise ApiError(
            400, "unsupported_format",
            f"response_format {request.response_format!r} is not supported; use one of: {', '.join(FORMATS)}",
            "response_format",
        )
    if request.stream_format == "sse":
        raise ApiError(400, "unsupported_stream_format", "stream_format 'sse' is not supported; use 'audio'", "stream_format")
    if request.stream and not audio_format.streamable:
        streamable = ", ".join(name for name, known in FORMATS.items() if known.streamable)
        raise ApiError(
            400, "unsupported_format",
            f"{audio_format.name} cannot be streamed; stream {streamable}, or drop 'stream' for a whole {audio_format.name} file",
            "response_format",
        )
    return audio_format


def _split_voice(value: str) -> tuple[str, str | None]:
    name, _, speaker = value.partition(":")
    return name, speaker or None


def _voice(request: SpeechRequest, catalog: VoiceCatalog, settings: ServerSettings) -> tuple[VoiceFile, str | None]:
    files = catalog.files()
    model_voice = files.get(request.model) if request.model else None
    if request.model and model_voice is None and not names_any_voice(request.model):
        raise ApiError(
            400, "model_not_found",
            f"unknown model {request.model!r}: use {POLYVOX_MODEL} or an OpenAI model name such as tts-1 (the voice "
            f"field then chooses the voice), or a voice name: {', '.join(sorted(files))} (GET /v1/models lists them)",
            "model",
        )
    if request.voice:
        name, speaker = _split_voice(request.voice)
        if name in files:
            return files[name], speaker
        if name.lower() not in OPENAI_VOICES:
            raise ApiError(
                400, "unknown_voice",
                f"unknown voice {name!r}; this server has: {', '.join(sorted(files))} (GET /v1/voices lists them)",
                "voice",
            )
        if model_voice is not None:
            return model_voice, speaker
        if settings.openai_voice is None:
            raise ApiError(
                400, "unknown_voice",
                f"{name!r} is an OpenAI voice and this server maps none of them; use one of: {', '.join(sorted(files))}",
                "voice",
            )
        mapped_name, mapped_speaker = _split_voice(settings.openai_voice)
        if mapped_name not in files:
            raise ApiError(
                400, "unknown_voice",
                f"OpenAI voices speak with {mapped_name!r} (--openai-voice), which this server does not have; "
                f"use one of: {', '.join(sorted(files))}",
                "voice",
            )
        return files[mapped_name], speaker or mapped_speaker
    chosen = model_voice or files.get(DEFAULT_VOICE_NAME)
    if chosen is None:
        raise ApiError(
            400, "unknown_voice", f"no voice given and this server has no default; use one of: {', '.join(sorted(files))}", "voice",
        )
    return chosen, None


def _merge_speakers(from_voice: str | None, from_field: str | int | None) -> str | int | None:
    if from_voice is not None and from_field is not None and str(from_field) != from_voice:
        raise ApiError(
            400, "conflicting_speaker",
            f"speaker given twice: {from_voice!r} in voice and {from_field!r} in speaker; give it once", "speaker",
        )
    return from_voice if from_voice is not None else from_field


def _sample_rate(requested: int | None, audio_format: AudioFormat, voice_rate: int) -> int:
    if requested is not None and requested not in audio_format.allowed_rates:
        raise ApiError(
            400, "unsupported_sample_rate",
            f"{audio_format.name} cannot be written at {requested} Hz; use one of: {', '.join(map(str, audio_format.allowed_rates))}",
            "sample_rate",
        )
    rate = audio_format.output_rate(requested, voice_rate)
    # A voice trained at an unusual rate is converted to one every player of the format accepts.
    return rate if rate in audio_format.allowed_rates else 24000
