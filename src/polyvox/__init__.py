"""polyvox: multilingual text-to-speech. ``from polyvox import Voice`` loads torch only when used."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["OnnxVoice", "SpeechRequest", "Voice", "SynthesisResult", "__version__", "use_threads"]


def __getattr__(name: str) -> Any:
    if name in ("Voice", "SynthesisResult"):
        from polyvox.inference import voice

        return getattr(voice, name)
    if name == "SpeechRequest":  # every synthesis option with its default and range; no torch
        from polyvox.speech_request import SpeechRequest

        return SpeechRequest
    if name == "use_threads":  # the thread settings, chosen before torch loads (polyvox/threads.py)
        from polyvox.threads import use_threads

        return use_threads
    if name == "OnnxVoice":  # the onnxruntime engine: imports no torch
        from polyvox.inference.onnx_voice import OnnxVoice

        return OnnxVoice
    raise AttributeError(f"module 'polyvox' has no attribute {name!r}")
