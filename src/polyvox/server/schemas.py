"""Request and response bodies of the HTTP API (pydantic models; they are also the OpenAPI schema)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from polyvox.speech_request import DEFAULTS, SPECS


def option_field(name: str) -> Any:
    """A body field with the default, range and description of ``SpeechRequest``'s option ``name``."""
    spec = SPECS[name]
    bound = {} if spec.bound is None else {"ge": spec.bound.low, "le": spec.bound.high}
    return Field(DEFAULTS[name], description=spec.help(), **bound)  # type: ignore[arg-type]


class SpeechRequest(BaseModel):
    """``POST /v1/audio/speech``: OpenAI's fields plus polyvox's own (language, speaker, pitch, ...)."""

    # Unknown fields are refused so that a misspelt option is an error, not silently ignored.
    model_config = ConfigDict(extra="forbid")

    input: str = Field(description='Text to speak; "" with phonemes or score.')
    model: str | None = Field(
        None, description="polyvox or an OpenAI TTS model name (tts-1, ...): the voice field decides; or a polyvox voice name.",
    )
    voice: str | None = Field(
        None, description="A polyvox voice name, 'name:speaker', or an OpenAI voice name (alloy, nova, ...).",
    )
    response_format: str = Field("mp3", description="mp3, opus, wav, flac or pcm (16-bit little-endian mono).")
    speed: float | None = option_field("speed")
    instructions: str | None = Field(None, description="Accepted for OpenAI compatibility and ignored.")
    stream_format: Literal["audio", "sse"] | None = Field(
        None, description="'audio': raw audio, streamed when the format allows (pcm, wav); 'sse' is not supported.",
    )
    stream: bool = Field(False, description="Stream the audio as it is synthesised; pcm and wav only.")
    language: str | None = option_field("language")
    speaker: str | int | None = option_field("speaker")
    pitch: float = option_field("pitch")
    seed: int | None = option_field("seed")
    noise_scale: float | None = option_field("noise_scale")
    noise_scale_duration: float | None = option_field("noise_scale_duration")
    phonemes: str | None = option_field("phonemes")
    # Checked as a score when the request is planned (polyvox.inference.score), so a bad note is a 400 naming it.
    score: dict[str, Any] | None = option_field("score")
    # Style (voices trained with one): a label of the voice and how much of it; an unknown label is a 400 listing them.
    emotion: str | None = option_field("emotion")
    style_strength: float = option_field("style_strength")
    # "sample": a style drawn for each sentence by the voice's style sampler; a voice without one is a 400.
    style: Literal["sample"] | None = option_field("style")
    style_steps: int = option_field("style_steps")
    style_scale: float = option_field("style_scale")
    sample_rate: int | None = Field(
        None, description="Output rate in Hz; default: 24000 for pcm, 48000 for opus, else the voice's rate.",
    )



class VoiceInfo(BaseModel):
    name: str
    languages: list[str]
    speakers: list[str]
    sample_rate: int
    loaded: bool
    # What a request that leaves speed and noise out speaks with (synthesis_settings.py).
    synthesis: dict[str, float] = Field(description="The voice's own speed, noise_scale and noise_scale_duration.")


class VoicesResponse(BaseModel):
    voices: list[VoiceInfo]
    default_voice: str
    openai_voice: str | None = Field(description="The polyvox voice that OpenAI voice names speak with; null: refused.")
    openai_voice_names: list[str]


class ModelInfo(BaseModel):
    """One entry of ``GET /v1/models``, in OpenAI's shape."""

    id: str
    object: Literal["model"] = "model"
    created: int = Field(description="Unix time the voice file was last written.")
    owned_by: str = "polyvox"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelInfo]


class HealthResponse(BaseModel):
    status: Literal["ok"]
    voices_loaded: list[str]
    requests_in_progress: int
    capacity: int
