"""Which voices the server offers: the default voice plus every ``.safetensors`` in the voices folder.

The folder is listed on each lookup, so a voice file copied in is served without a restart.
Metadata (languages, speakers) is read from the file header only and kept per file version.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from polyvox.voice_file import VoiceFileError, VoiceMetadata, read_metadata

logger = logging.getLogger(__name__)

DEFAULT_VOICE_NAME = "default"


@dataclass(frozen=True)
class VoiceFile:
    name: str
    path: Path
    # Modification time: a replaced file is a new version, read and loaded again.
    version: int


class VoiceCatalog:
    def __init__(self, default_voice: Path, voices_dir: Path | None) -> None:
        self.default_voice = default_voice
        self.voices_dir = voices_dir
        self._metadata: dict[VoiceFile, VoiceMetadata] = {}
        self._lock = threading.Lock()

    def files(self) -> dict[str, VoiceFile]:
        """Every voice by name; a ``default.safetensors`` in the folder replaces the default voice."""
        paths = {DEFAULT_VOICE_NAME: self.default_voice}
        if self.voices_dir is not None:
            paths.update({path.stem: path for path in sorted(self.voices_dir.glob("*.safetensors"))})
        found = {}
        for name, path in paths.items():
            try:
                found[name] = VoiceFile(name, path, path.stat().st_mtime_ns)
            except OSError as error:
                logger.warning("voice %s (%s) is not readable: %s", name, path, error)
        return found

    def find(self, name: str) -> VoiceFile | None:
        return self.files().get(name)

    def metadata(self, voice_file: VoiceFile) -> VoiceMetadata:
        """Languages, speakers and config of a voice (raises ``VoiceFileError`` for a broken file)."""
        with self._lock:
            cached = self._metadata.get(voice_file)
        if cached is not None:
            return cached
        metadata = read_metadata(voice_file.path)
        with self._lock:
            # Forget older versions of the file so the dictionary stays as small as the folder.
            for stale in [known for known in self._metadata if known.name == voice_file.name]:
                del self._metadata[stale]
            self._metadata[voice_file] = metadata
        return metadata

    def readable(self) -> list[tuple[VoiceFile, VoiceMetadata]]:
        """Every voice whose file can be read, in name order; broken files are logged and left out."""
        listed = []
        for name, voice_file in sorted(self.files().items()):
            try:
                listed.append((voice_file, self.metadata(voice_file)))
            except VoiceFileError as error:
                logger.warning("voice %s is left out: %s", name, error)
        return listed
