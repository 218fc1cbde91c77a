"""Audio formats the server answers in: whole files through libsndfile, and pcm / wav as streams."""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from polyvox.audio.io import resample

# Rates every encoder here accepts (MP3 allows only these; the others follow for simplicity).
STANDARD_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)
OPUS_RATES = (8000, 12000, 16000, 24000, 48000)
# Sizes written into a streamed WAV header, whose length is unknown when it is sent (players read to the end).
_UNKNOWN_SIZE = 0xFFFFFFFF


@dataclass(frozen=True)
class AudioFormat:
    name: str
    media_type: str
    streamable: bool
    # Output rate when the request names none; None: the voice's own rate.
    default_rate: int | None
    allowed_rates: tuple[int, ...]
    # libsndfile format and subtype; None for raw pcm.
    soundfile_format: tuple[str, str] | None

    def output_rate(self, requested: int | None, voice_rate: int) -> int:
        return requested or self.default_rate or voice_rate


FORMATS: dict[str, AudioFormat] = {
    "mp3": AudioFormat("mp3", "audio/mpeg", False, None, STANDARD_RATES, ("MP3", "MPEG_LAYER_III")),
    "opus": AudioFormat("opus", "audio/ogg", False, 48000, OPUS_RATES, ("OGG", "OPUS")),
    "flac": AudioFormat("flac", "audio/flac", False, None, STANDARD_RATES, ("FLAC", "PCM_16")),
    "wav": AudioFormat("wav", "audio/wav", True, None, STANDARD_RATES, ("WAV", "PCM_16")),
    # OpenAI's pcm is 24 kHz 16-bit little-endian mono; keeping its rate keeps its clients' players right.
    "pcm": AudioFormat("pcm", "audio/pcm", True, 24000, STANDARD_RATES, None),
}


def to_pcm16(samples: np.ndarray) -> bytes:
    """Float samples in [-1, 1] as 16-bit signed little-endian bytes."""
    return (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()


def encode(samples: np.ndarray, voice_rate: int, audio_format: AudioFormat, rate: int) -> bytes:
    """A whole response body: ``samples`` (float32 mono at ``voice_rate``) at ``rate`` in ``audio_format``."""
    import soundfile

    audio = resample(samples, voice_rate, rate)
    if audio_format.soundfile_format is None:
        return to_pcm16(audio)
    container, subtype = audio_format.soundfile_format
    buffer = io.BytesIO()
    soundfile.write(buffer, audio, rate, format=container, subtype=subtype)
    return buffer.getvalue()


def streamed_wav_header(rate: int) -> bytes:
    """A 16-bit mono WAV header with the sizes left open, for audio whose length is not known yet."""
    block_align = 2
    return (
        b"RIFF" + struct.pack("<I", _UNKNOWN_SIZE) + b"WAVE"
        + b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, rate, rate * block_align, block_align, 16)
        + b"data" + struct.pack("<I", _UNKNOWN_SIZE)
    )


def encode_stream(chunks: Iterator[np.ndarray], voice_rate: int, audio_format: AudioFormat, rate: int) -> Iterator[bytes]:
    """Byte chunks of a streamed pcm or wav body, resampled chunk by chunk without seams."""
    import soxr

    if audio_format.name == "wav":
        yield streamed_wav_header(rate)
    resampler = soxr.ResampleStream(voice_rate, rate, 1, dtype="float32") if rate != voice_rate else None
    for chunk in chunks:
        audio = resampler.resample_chunk(chunk) if resampler is not None else chunk
        if len(audio):
            yield to_pcm16(audio)
    if resampler is not None:
        tail = resampler.resample_chunk(np.zeros(0, dtype=np.float32), last=True)
        if len(tail):
            yield to_pcm16(tail)
