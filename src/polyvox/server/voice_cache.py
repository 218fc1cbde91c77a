"""Loaded voices, kept in memory up to a bound, least recently used dropped first.

Voices are kept by file and version, so one file served under two names (``default`` and its own
name) is loaded once. A voice's text front end (espeak-ng, OpenJTalk) must not be called from two
threads at once, so each concurrent request borrows its own replica: a ``Voice`` with its own front
end around the one shared generator (its forward pass keeps no state, and the weights are loaded once).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from polyvox.server.voice_catalog import VoiceFile

if TYPE_CHECKING:
    from polyvox.inference.voice import Voice

logger = logging.getLogger(__name__)


# A voice file and its version (modification time).
_Key = tuple[Path, int]


def _key(voice_file: VoiceFile) -> _Key:
    return voice_file.path.resolve(), voice_file.version


class LoadedVoice:
    """A loaded voice and up to ``max_replicas`` replicas of it that requests borrow one at a time."""

    def __init__(self, voice: Voice, max_replicas: int) -> None:
        self.voice = voice
        self._free = [voice]
        self._count = 1
        self._max_replicas = max_replicas
        self._available = threading.Condition()

    @contextlib.contextmanager
    def borrow(self) -> Iterator[Voice]:
        """A replica for this thread alone; waits while all ``max_replicas`` are in use."""
        with self._available:
            while not self._free and self._count >= self._max_replicas:
                self._available.wait()
            replica = self._free.pop() if self._free else None
            if replica is None:
                self._count += 1
        if replica is None:
            try:
                replica = type(self.voice)(self.voice.generator, self.voice.metadata, self.voice.text_features)
            except BaseException:
                with self._available:
                    self._count -= 1
                    self._available.notify()
                raise
        try:
            yield replica
        finally:
            with self._available:
                self._free.append(replica)
                self._available.notify()


class VoiceCache:
    def __init__(
        self, capacity: int, max_replicas: int = 1, precision: str = "float32", text_features: Path | None = None,
        text_features_option: str = "polyvox serve --text-features FOLDER",
    ) -> None:
        self.capacity = capacity
        self.max_replicas = max_replicas
        self.precision = precision
        self.text_features = text_features  # the model folder of voices trained with text features
        self.text_features_option = text_features_option  # what a refusal for want of that folder tells the user to pass
        self._voices: OrderedDict[_Key, LoadedVoice] = OrderedDict()
        self._names: dict[_Key, set[str]] = {}
        self._lock = threading.Lock()
        # One lock per file being loaded, so two requests for a cold voice load it once.
        self._loading: dict[_Key, threading.Lock] = {}

    def loaded_names(self) -> list[str]:
        with self._lock:
            return sorted(name for key in self._voices for name in self._names.get(key, ()))

    def get(self, voice_file: VoiceFile) -> LoadedVoice:
        """The loaded voice, loading it on first use (in the calling thread; raises ``VoiceFileError``)."""
        key = _key(voice_file)
        with self._lock:
            loaded = self._hit(key, voice_file.name)
            if loaded is not None:
                return loaded
            loading = self._loading.setdefault(key, threading.Lock())
        with loading:
            try:
                with self._lock:
                    loaded = self._hit(key, voice_file.name)
                return loaded if loaded is not None else self._load(key, voice_file)
            finally:
                with self._lock:
                    self._loading.pop(key, None)

    def _hit(self, key: _Key, name: str) -> LoadedVoice | None:
        loaded = self._voices.get(key)
        if loaded is not None:
            self._voices.move_to_end(key)
            self._names[key].add(name)
        return loaded

    def _load(self, key: _Key, voice_file: VoiceFile) -> LoadedVoice:
        from polyvox.inference.voice import Voice

        logger.info("loading voice %s from %s", voice_file.name, voice_file.path)
        voice = Voice.load(
            voice_file.path, precision=self.precision, text_features=self.text_features,
            text_features_option=self.text_features_option,
        )
        loaded = LoadedVoice(voice, self.max_replicas)
        with self._lock:
            for stale in [known for known in self._voices if known[0] == key[0]]:
                del self._voices[stale]
                self._names.pop(stale, None)
            self._voices[key] = loaded
            self._names[key] = {voice_file.name}
            while len(self._voices) > self.capacity:
                dropped, _ = self._voices.popitem(last=False)
                logger.info("voice %s dropped from memory (--voice-cache %d)", ", ".join(self._names.pop(dropped, ())), self.capacity)
        return loaded
