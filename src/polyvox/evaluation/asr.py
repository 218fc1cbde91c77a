"""A local Whisper model as the listener's ears: a CTranslate2 folder (faster-whisper) or a transformers one.

Nothing is downloaded: the folder is one the user has. faster-whisper and transformers are imported
when a model is loaded (the ``listen`` and ``transcribe`` extras).
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from polyvox.evaluation.errors import EvaluationError

logger = logging.getLogger(__name__)

# Whisper hears 16 kHz audio.
ASR_SAMPLE_RATE = 16000
# Beam width of the CTranslate2 decoder (faster-whisper's default); decoding is greedy in temperature (0 only),
# so transcripts repeat exactly from run to run.
BEAM_SIZE = 5


class Transcriber(Protocol):
    """Speech at 16 kHz -> text in the language asked."""

    description: str

    def check_language(self, language: str) -> None:
        """Raise ``EvaluationError`` if the model cannot transcribe ``language``."""

    def transcribe(self, samples: np.ndarray, language: str) -> str:
        """The transcript of mono float32 ``samples`` at 16 kHz, decoded in ``language``."""


@contextlib.contextmanager
def _torch_threads_kept() -> Iterator[None]:
    """CTranslate2 sets the process's OpenMP threads to its ``cpu_threads``, which torch shares: a listener at
    one thread inside a training run (``finetune --listener``) left training on one core. Put torch's back."""
    torch = sys.modules.get("torch")
    threads = torch.get_num_threads() if torch is not None else None
    try:
        yield
    finally:
        if torch is not None and threads is not None and torch.get_num_threads() != threads:
            torch.set_num_threads(threads)


class CTranslate2Whisper:
    """A Whisper model converted to CTranslate2 (``model.bin``, ``config.json``, ``tokenizer.json``), on the CPU."""

    def __init__(self, folder: Path, threads: int = 1, compute_type: str = "int8") -> None:
        if not (folder / "tokenizer.json").is_file():
            raise EvaluationError(
                f"{folder} has model.bin but no tokenizer.json; copy the model's tokenizer.json beside it "
                "(faster-whisper would otherwise try to download one)"
            )
        try:
            from faster_whisper import WhisperModel
        except ImportError as error:
            raise EvaluationError("a CTranslate2 Whisper model needs the 'listen' extra: pip install 'polyvox[listen]'") from error
        try:
            with _torch_threads_kept():
                self.model: Any = WhisperModel(str(folder), device="cpu", compute_type=compute_type, cpu_threads=threads)
        except (RuntimeError, ValueError, OSError) as error:
            raise EvaluationError(f"cannot load a CTranslate2 Whisper model from {folder}: {error}") from error
        self.description = f"{folder} (CTranslate2, {compute_type})"
        # faster-whisper logs every clip's duration at INFO: hundreds of lines in an evaluation or a training log.
        logging.getLogger("faster_whisper").setLevel(logging.WARNING)

    def check_language(self, language: str) -> None:
        if language not in self.model.supported_languages:
            raise EvaluationError(
                f"the speech recognizer cannot transcribe {language!r} (it knows: "
                f"{', '.join(self.model.supported_languages[:12])}{', ...' if len(self.model.supported_languages) > 12 else ''}); "
                "give a multilingual Whisper model with --asr"
            )

    def transcribe(self, samples: np.ndarray, language: str) -> str:
        with _torch_threads_kept():
            segments, _ = self.model.transcribe(
                np.asarray(samples, dtype=np.float32), language=language, beam_size=BEAM_SIZE, temperature=0.0,
                condition_on_previous_text=False, without_timestamps=True, vad_filter=False,
            )
            return " ".join(segment.text.strip() for segment in segments).strip()


class TransformersWhisper:
    """A Whisper model saved with transformers' ``save_pretrained`` (as ``polyvox prepare --transcribe`` uses)."""

    def __init__(self, folder: Path) -> None:
        from polyvox.prepare.errors import TranscriptionError
        from polyvox.prepare.transcription import WhisperTranscriber

        try:
            self.transcriber = WhisperTranscriber(folder)
        except TranscriptionError as error:
            raise EvaluationError(str(error)) from error
        self.description = f"{folder} (transformers)"

    def check_language(self, language: str) -> None:
        known = getattr(self.transcriber.model.generation_config, "lang_to_id", None) or {}
        if known and f"<|{language}|>" not in known:
            raise EvaluationError(
                f"the speech recognizer cannot transcribe {language!r}; give a Whisper model that knows it with --asr"
            )

    def transcribe(self, samples: np.ndarray, language: str) -> str:
        from polyvox.prepare.errors import TranscriptionError

        try:
            return self.transcriber.transcribe([samples], ASR_SAMPLE_RATE, language)[0]
        except TranscriptionError as error:
            raise EvaluationError(str(error)) from error


def load_transcriber(path: Path, threads: int = 1) -> Transcriber:
    """The Whisper model in folder ``path``: CTranslate2 if it has ``model.bin``, else transformers."""
    if not path.is_dir():
        raise EvaluationError(f"speech recognizer folder not found: {path}; give the folder of a Whisper model you have (evaluate --asr, finetune --listener)")
    if (path / "model.bin").is_file():
        transcriber: Transcriber = CTranslate2Whisper(path, threads)
    elif (path / "config.json").is_file():
        transcriber = TransformersWhisper(path)
    else:
        raise EvaluationError(
            f"{path} is not a Whisper model folder: it needs model.bin (CTranslate2) or config.json and weights (transformers)"
        )
    logger.info("listener: %s", transcriber.description)
    return transcriber
