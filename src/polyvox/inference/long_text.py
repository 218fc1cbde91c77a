"""Long texts (a chapter, a book) spoken into a file sentence by sentence as they are synthesised:
memory stays that of one chunk, a progress bar counts the sentences (with the time left), and the
file appears under its final name only when complete."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from polyvox.audio.io import AudioError, check_writable_format
from polyvox.files import atomic_path, write_failure
from polyvox.speech_request import SpeechRequest

# Above this many characters ``polyvox say`` writes as it speaks instead of holding the whole audio.
LONG_TEXT_CHARS = 2000


def check_every_sentence(voice: Any, request: SpeechRequest) -> int:
    """Encode every sentence first, so that a text error in the last one stops before any work; the sentence count."""
    resolved = voice.text.options(request).language
    sentences = voice.text.sentences(request.text, resolved)
    for sentence in sentences:
        voice.encode(sentence, resolved)
    return len(sentences)


def speak_into_file(voice: Any, request: SpeechRequest, path: str | Path, sentence_count: int, progress: bool = True) -> float:
    """Speak ``request`` into ``path`` as it is synthesised, with a bar over its ``sentence_count`` sentences; the seconds written."""
    from tqdm.auto import tqdm

    with tqdm(total=sentence_count, desc="speaking", unit=" sentences", disable=not progress) as bar:
        chunks = voice.stream(request, on_sentence=bar.update)
        return write_chunks(chunks, path, voice.sample_rate)


def write_chunks(chunks: Iterable[np.ndarray], path: str | Path, sample_rate: int) -> float:
    """Write float32 ``chunks`` to ``path`` (16-bit, format from the extension) as they come; the seconds written."""
    import soundfile

    path = Path(path)
    file_format = check_writable_format(path)
    written = 0
    try:
        with atomic_path(path) as temporary:
            with soundfile.SoundFile(str(temporary), "w", sample_rate, 1, "PCM_16", format=file_format) as sink:
                for chunk in chunks:
                    samples = np.clip(np.asarray(chunk, dtype=np.float32), -1.0, 1.0)
                    if not np.all(np.isfinite(samples)):
                        raise AudioError(f"cannot save {path}: samples contain NaN or infinity; check the model output")
                    sink.write(samples)
                    written += samples.size
    except OSError as error:
        raise AudioError(write_failure(path, error)) from error
    except soundfile.LibsndfileError as error:
        raise AudioError(f"cannot write audio file {path}: {error}") from error
    return written / sample_rate
