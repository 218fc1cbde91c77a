"""Request and response bodies of the HTTP API (pydantic models; they are also the OpenAPI schema)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from polyvox.inference.bounds import MAX_SEED, NOISE_SCALE, NOISE_SCALE_DURATION, SPEED


class SpeechRequest(BaseModel):
    """``POST /v1/audio/speech``: OpenAI's fields plus polyvox's own (language, speaker, pitch, ...)."""

    # Unknown fields are refused so that a misspelt option is an error, not silently ignored.
    model_config = ConfigDict(extra="forbid")

    input: str = Field(description="Text to speak.")
    model: str | None = Field(
        None, description="polyvox or an OpenAI TTS model name (tts-1, ...): the voice field decides; or a polyvox voice name.",
    )
    voice: str | None = Field(
        None, description="A polyvox voice name, 'name:speaker', or an OpenAI voice name (alloy, nova, ...).",
    )
    response_format: str = Field("mp3", description="mp3, opus, wav, flac or pcm (16-bit little-endian mono).")
    speed: float = Field(1.0, ge=SPEED.low, le=SPEED.high, description="Speaking rate; 1.0 is the trained rate.")
    instructions: str | None = Field(None, description="Accepted for OpenAI compatibility and ignored.")
    stream_format: Literal["audio", "sse"] | None = Field(
        None, description="'audio': raw audio, streamed when the format allows (pcm, wav); 'sse' is not supported.",
    )
    stream: bool = Field(False, description="Stream the audio as it is synthesised; pcm and wav only.")
    language: str | None = Field(None, description="Language code; default: the voice's first language.")
    speaker: str | int | None = Field(None, description="Speaker name or index; default: one trained on the language.")
    pitch: float = Field(0.0, ge=-12.0, le=12.0, description="Pitch shift in semitones.")
    seed: int | None = Field(None, ge=0, le=MAX_SEED, description="Random seed for repeatable output (0 to 2**63 - 1).")
    noise_scale: float = Field(
        0.667, ge=NOISE_SCALE.low, le=NOISE_SCALE.high, description="Variation in the voice (0 = deterministic)."
    )
    noise_scale_duration: float = Field(
        0.8, ge=NOISE_SCALE_DURATION.low, le=NOISE_SCALE_DURATION.high, description="Variation in timing."
    )
    sample_rate: int | None = Field(
        None, description="Output rate in Hz; default: 24000 for pcm, 48000 for opus, else the voice's rate.",
    )



class VoiceInfo(BaseModel):
    name: str
    languages: list[str]
    speakers: list[str]
    sample_rate: int
    loaded: bool


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
