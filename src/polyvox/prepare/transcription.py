"""Transcribing clips with a local Whisper-family model (the ``transcribe`` extra: transformers).

The model folder is one the user already has (``save_pretrained`` layout: config, weights,
tokenizer and feature-extractor files); nothing is downloaded.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from polyvox.audio.io import resample
from polyvox.prepare.errors import TranscriptionError

logger = logging.getLogger(__name__)

# Clips transcribed per forward pass.
BATCH_SIZE = 8


def check_model_folder(model_dir: str | Path) -> Path:
    """``model_dir`` if it looks like a saved model; checked before any audio is processed."""
    folder = Path(model_dir)
    if not folder.is_dir():
        raise TranscriptionError(f"transcription model folder not found: {folder}; pass the folder of a Whisper model you have")
    if not (folder / "config.json").is_file():
        raise TranscriptionError(
            f"{folder} has no config.json; it must be a Whisper model saved with save_pretrained "
            "(config.json, weights, tokenizer and preprocessor files)"
        )
    return folder


class WhisperTranscriber:
    """A Whisper model and its processor loaded from ``model_dir`` (local files only)."""

    def __init__(self, model_dir: str | Path) -> None:
        folder = check_model_folder(model_dir)
        try:
            from transformers import WhisperForConditionalGeneration, WhisperProcessor
        except ImportError as error:
            raise TranscriptionError("transcription needs the 'transcribe' extra: pip install 'polyvox[transcribe]'") from error
        try:
            self.processor: Any = WhisperProcessor.from_pretrained(str(folder), local_files_only=True)
            self.model: Any = WhisperForConditionalGeneration.from_pretrained(str(folder), local_files_only=True)
        except (OSError, ValueError, KeyError, TypeError) as error:
            raise TranscriptionError(f"cannot load a Whisper model from {folder}: {error}") from error
        self.model.eval()
        self.folder = folder
        self.sampling_rate = int(self.processor.feature_extractor.sampling_rate)

    def transcribe(self, clips: Sequence[np.ndarray], sample_rate: int, language: str) -> list[str]:
        """One transcript per clip (mono float32 at ``sample_rate``), decoded in ``language``."""
        import torch

        texts: list[str] = []
        for first in range(0, len(clips), BATCH_SIZE):
            batch = [resample(clip, sample_rate, self.sampling_rate) for clip in clips[first : first + BATCH_SIZE]]
            features = self.processor(audio=batch, sampling_rate=self.sampling_rate, return_tensors="pt").input_features
            try:
                with torch.inference_mode():
                    tokens = self.model.generate(features, language=language, task="transcribe")
            except (ValueError, KeyError) as error:
                raise TranscriptionError(
                    f"the model in {self.folder} cannot transcribe language {language!r}: {error}"
                ) from error
            texts += [text.strip() for text in self.processor.batch_decode(tokens, skip_special_tokens=True)]
        return texts
