"""In-process speech synthesis with espeak-ng's C library (from the ``espeakng-loader`` wheel).

One :class:`EspeakEngine` initialises the library once and keeps the ctypes handle and the
callback alive; create one per process and reuse it (a second ``espeak_Initialize`` in the same
process shifts the audio by a few samples). Audio and phoneme events come from the same call.
"""

from __future__ import annotations

import ctypes
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from polyvox.errors import PolyvoxError

logger = logging.getLogger(__name__)

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_PHONEME_EVENTS = 0x1
_INITIALIZE_PHONEME_IPA = 0x2
_INITIALIZE_DONT_EXIT = 0x8000
_POSITION_CHARACTER = 1
_CHARS_UTF8 = 1
_EVENT_LIST_TERMINATED = 0
_EVENT_PHONEME = 7
PARAMETER_RATE = 1
PARAMETER_VOLUME = 2
PARAMETER_PITCH = 3
PARAMETER_RANGE = 4
_ERROR_OK = 0


class EspeakError(PolyvoxError, RuntimeError):
    """espeak-ng could not be loaded or refused a request; the message says what to do."""


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


_CALLBACK_TYPE = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))


@dataclass(frozen=True)
class PhonemeEvent:
    """One phoneme from espeak: its IPA name (empty for a pause) and start in samples."""

    name: str
    start_sample: int


@dataclass(frozen=True)
class Synthesis:
    """Audio (int16, mono) and the phoneme events of one ``espeak_Synth`` call."""

    samples: np.ndarray
    sample_rate: int
    events: tuple[PhonemeEvent, ...]


@dataclass(frozen=True)
class VoiceSettings:
    """espeak voice parameters: ``voice`` names to try in order (e.g. ``("fr-fr+m3", "fr+m3")``),
    rate in words per minute, pitch and pitch range in espeak's 0-100 scale."""

    voice_names: tuple[str, ...]
    rate: int = 175
    pitch: int = 50
    pitch_range: int = 50


class EspeakEngine:
    """The espeak-ng library, initialised once, synthesising text to audio plus phoneme events."""

    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ModuleNotFoundError as error:
            raise EspeakError("espeak-ng is missing: install the `espeakng-loader` package (pip install espeakng-loader)") from error
        library_path = espeakng_loader.get_library_path()
        try:
            self._library: Any = ctypes.CDLL(library_path)
        except OSError as error:
            raise EspeakError(f"cannot load espeak-ng from {library_path}: {error}; reinstall espeakng-loader") from error
        self._declare_signatures()
        data_path = espeakng_loader.get_data_path().encode()
        options = _INITIALIZE_PHONEME_EVENTS | _INITIALIZE_PHONEME_IPA | _INITIALIZE_DONT_EXIT
        sample_rate = self._library.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path, options)
        if sample_rate <= 0:
            raise EspeakError(f"espeak_Initialize failed (returned {sample_rate}); check the data folder {data_path.decode()}")
        self.sample_rate: int = sample_rate
        self._chunks: list[np.ndarray] = []
        self._events: list[PhonemeEvent] = []
        self._callback = _CALLBACK_TYPE(self._on_synthesis)
        self._library.espeak_SetSynthCallback(self._callback)
        self._current_voice: str | None = None

    def _declare_signatures(self) -> None:
        library = self._library
        library.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        library.espeak_Initialize.restype = ctypes.c_int
        library.espeak_SetSynthCallback.argtypes = [_CALLBACK_TYPE]
        library.espeak_SetSynthCallback.restype = None
        library.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        library.espeak_SetVoiceByName.restype = ctypes.c_int
        library.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        library.espeak_SetParameter.restype = ctypes.c_int
        library.espeak_Synth.argtypes = [
            ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint, ctypes.c_uint,
            ctypes.POINTER(ctypes.c_uint), ctypes.c_void_p,
        ]
        library.espeak_Synth.restype = ctypes.c_int
        library.espeak_Synchronize.argtypes = []
        library.espeak_Synchronize.restype = ctypes.c_int
        library.espeak_ng_SetRandSeed.argtypes = [ctypes.c_long]
        library.espeak_ng_SetRandSeed.restype = None

    def _on_synthesis(self, wave: Any, sample_count: int, events: Any) -> int:
        if sample_count > 0:
            self._chunks.append(np.ctypeslib.as_array(wave, shape=(sample_count,)).copy())
        index = 0
        while events[index].type != _EVENT_LIST_TERMINATED:
            event = events[index]
            if event.type == _EVENT_PHONEME:
                name = bytes(event.id.string).split(b"\0", 1)[0].decode("utf-8", errors="replace")
                self._events.append(PhonemeEvent(name=name, start_sample=int(event.sample)))
            index += 1
        return 0

    def select_voice(self, voice_names: Sequence[str]) -> str:
        """Select the first voice of ``voice_names`` espeak accepts and return its name."""
        for name in voice_names:
            if name == self._current_voice:
                return name
            if self._library.espeak_SetVoiceByName(name.encode()) == _ERROR_OK:
                self._current_voice = name
                return name
        raise EspeakError(f"espeak-ng accepts none of the voices {list(voice_names)}; list them with `espeak-ng --voices`")

    def synthesize(self, text: str, settings: VoiceSettings, random_seed: int = 0) -> Synthesis:
        """Speak ``text`` with ``settings``; returns int16 audio at :attr:`sample_rate` and phoneme events.

        ``random_seed`` seeds espeak's noise generator (otherwise seeded from the clock). The
        pitch flutter's phase carries over from one call to the next, so the audio also depends on
        what this engine spoke before: the same calls in the same order in a fresh process give
        identical audio.
        """
        self.select_voice(settings.voice_names)
        self._library.espeak_ng_SetRandSeed(random_seed)
        for parameter, value in (
            (PARAMETER_RATE, settings.rate),
            (PARAMETER_PITCH, settings.pitch),
            (PARAMETER_RANGE, settings.pitch_range),
        ):
            if self._library.espeak_SetParameter(parameter, int(value), 0) != _ERROR_OK:
                raise EspeakError(f"espeak-ng refused parameter {parameter} = {value}")
        self._chunks = []
        self._events = []
        # The library holds one callback for the process: another engine made since (and perhaps freed) may have
        # replaced this one's, and espeak would call into freed memory (a crash, or no audio).
        self._library.espeak_SetSynthCallback(self._callback)
        encoded = text.encode("utf-8")
        buffer = ctypes.create_string_buffer(encoded)
        status = self._library.espeak_Synth(buffer, len(encoded) + 1, 0, _POSITION_CHARACTER, 0, _CHARS_UTF8, None, None)
        if status != _ERROR_OK:
            raise EspeakError(f"espeak_Synth failed with status {status} for text {text!r}")
        self._library.espeak_Synchronize()
        samples = np.concatenate(self._chunks) if self._chunks else np.zeros(0, dtype=np.int16)
        synthesis = Synthesis(samples=samples.astype(np.int16, copy=False), sample_rate=self.sample_rate, events=tuple(self._events))
        self._chunks = []
        self._events = []
        return synthesis
