"""Settings of the HTTP server: where voices come from and the limits every request runs under."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from polyvox.cli_support import DEFAULT_VOICE
from polyvox.errors import PolyvoxError
from polyvox.inference.precisions import precision_option_error


class ServerSettingsError(PolyvoxError, ValueError):
    """A server setting is out of range; the message names the option to change."""


@dataclass(frozen=True)
class ServerSettings:
    # The voice named "default"; a ``default.safetensors`` in ``voices_dir`` replaces it.
    default_voice: Path = DEFAULT_VOICE
    # Folder of ``.safetensors`` voice files, each served under its file stem.
    voices_dir: Path | None = None
    # The polyvox voice ("name" or "name:speaker") that OpenAI voice names (alloy, nova, ...) speak
    # with; None answers them with 400 unknown_voice.
    openai_voice: str | None = "default"
    # Longest ``input`` accepted, in characters (OpenAI's own limit).
    max_input_chars: int = 4096
    # Syntheses that run at the same time (threads); more wait in the queue.
    max_concurrent: int = 2
    # Requests that may wait for a free thread; beyond it the server answers 503.
    max_queued: int = 32
    # Limit on one request from admission to the last byte of audio; beyond it 504 (or a cut stream).
    request_timeout_s: float = 120.0
    # Loaded voices kept in memory (least recently used ones are dropped beyond it).
    voice_cache_size: int = 4
    # Decoder precision of every voice served (inference/speed.py PRECISIONS).
    precision: str = "float32"
    # Required as "Authorization: Bearer <api_key>" on every endpoint but /health; None: no authentication.
    api_key: str | None = None
    # The local model folder that voices trained with text features read each sentence with (set at start, for every
    # voice served; voices without text features do not use it). None: such voices are refused when asked for.
    text_features: Path | None = None

    def __post_init__(self) -> None:
        precision_error = precision_option_error(self.precision)
        if precision_error is not None:
            raise ServerSettingsError(precision_error)
        if self.max_input_chars < 1:
            raise ServerSettingsError(f"--max-input-chars must be at least 1, got {self.max_input_chars}")
        if self.max_concurrent < 1:
            raise ServerSettingsError(f"--max-concurrent must be at least 1, got {self.max_concurrent}")
        if self.max_queued < 0:
            raise ServerSettingsError(f"--max-queued must be 0 or more, got {self.max_queued}")
        if not self.request_timeout_s > 0:
            raise ServerSettingsError(f"--timeout must be positive, got {self.request_timeout_s}")
        if self.voice_cache_size < 1:
            raise ServerSettingsError(f"--voice-cache must be at least 1, got {self.voice_cache_size}")
        if not self.default_voice.is_file():
            raise ServerSettingsError(f"--default-voice {self.default_voice} not found; give the path of a .safetensors voice")
        if self.api_key is not None and not self.api_key.strip():
            raise ServerSettingsError("--api-key is empty; give a key, or leave the option out to serve without one")
        if self.text_features is not None and not self.text_features.is_dir():
            raise ServerSettingsError(f"--text-features {self.text_features} is not a folder; give a local model folder")
        if self.voices_dir is not None and not self.voices_dir.is_dir():
            raise ServerSettingsError(f"--voices-dir {self.voices_dir} is not a folder; create it or fix the path")

    @property
    def max_body_bytes(self) -> int:
        # Room for the longest input written as JSON \uXXXX escapes (6 bytes a character) plus the other fields.
        return self.max_input_chars * 6 + 4096
