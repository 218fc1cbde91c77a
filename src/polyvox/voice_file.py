"""Voice files: one ``.safetensors`` with the generator weights and, in its metadata, everything
needed to rebuild and use it (config, symbol table, languages, speakers). No pickle on this path."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from polyvox.config import ConfigError, VoiceConfig
from polyvox.errors import VoiceFileError
from polyvox.files import atomic_path, write_failure
from polyvox.fingerprint import FINGERPRINT_KEY, component_fingerprint
from polyvox.text.errors import TextError
from polyvox.text.symbols import SymbolTable

FORMAT_NAME = "polyvox-voice"
FORMAT_VERSION = 1
# The generator's decoder tensors are named with this prefix in a voice file.
DECODER_PREFIX = "decoder."


@dataclass(frozen=True)
class VoiceMetadata:
    config: VoiceConfig
    symbols: SymbolTable
    languages: tuple[str, ...]
    speakers: tuple[str, ...]
    # Free-form provenance: training steps, corpus, date.
    info: dict[str, str]

    def to_strings(self, tensors: dict[str, torch.Tensor] | None = None) -> dict[str, str]:
        """The metadata as safetensors strings; ``tensors`` (the generator's) add its style sampler's weights to the fingerprint."""
        return {
            "format": FORMAT_NAME,
            "format_version": str(FORMAT_VERSION),
            "config": self.config.to_json(),
            "symbols": json.dumps(self.symbols.to_list(), ensure_ascii=False),
            "languages": json.dumps(list(self.languages)),
            "speakers": json.dumps(list(self.speakers), ensure_ascii=False),
            "info": json.dumps(self.info, ensure_ascii=False),
            # Written for tools and people; comparisons recompute it from the config and tables above.
            FINGERPRINT_KEY: json.dumps(component_fingerprint(self, tensors=tensors), ensure_ascii=False),
        }

    @classmethod
    def from_strings(cls, strings: dict[str, str], source: str) -> VoiceMetadata:
        if strings.get("format") != FORMAT_NAME:
            raise VoiceFileError(f"{source} is a safetensors file but not a polyvox voice (no '{FORMAT_NAME}' metadata)")
        version = int(strings.get("format_version", "0"))
        if version > FORMAT_VERSION:
            raise VoiceFileError(f"{source} uses voice format {version}; this polyvox reads up to {FORMAT_VERSION}: upgrade polyvox")
        try:
            config = VoiceConfig.from_json(strings["config"])
        except (KeyError, ConfigError, json.JSONDecodeError) as error:
            raise VoiceFileError(f"{source}: its embedded config cannot be read: {error}") from error
        tables = {name: _string_list(strings, name, source) for name in ("symbols", "languages", "speakers")}
        if len(tables["speakers"]) > config.model.n_speakers:
            raise VoiceFileError(
                f"{source}: its metadata lists {len(tables['speakers'])} speakers but its config has a table of "
                f"{config.model.n_speakers} (model.n_speakers); the file was edited or is damaged"
            )
        try:
            info = json.loads(strings.get("info", "{}"))
        except json.JSONDecodeError as error:
            raise VoiceFileError(f"{source}: its 'info' metadata is not JSON ({error})") from error
        try:
            symbols = SymbolTable(tables["symbols"])
        except TextError as error:
            raise VoiceFileError(f"{source}: its symbol table is not valid ({error})") from error
        return cls(
            config=config,
            symbols=symbols,
            languages=tuple(tables["languages"]),
            speakers=tuple(tables["speakers"]),
            info=info if isinstance(info, dict) else {},
        )


def _string_list(strings: dict[str, str], name: str, source: str) -> list[str]:
    """A voice file's table (symbols, languages, speakers): a JSON list of strings, or ``VoiceFileError``."""
    try:
        value = json.loads(strings[name])
    except KeyError:
        raise VoiceFileError(f"{source}: its metadata has no '{name}'; the file was edited or is damaged") from None
    except json.JSONDecodeError as error:
        raise VoiceFileError(f"{source}: its '{name}' metadata is not JSON ({error})") from error
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise VoiceFileError(f"{source}: its '{name}' metadata must be a list of strings, got {str(value)[:60]!r}")
    return value


def build_generator(metadata: VoiceMetadata) -> torch.nn.Module:
    """The generator architecture a voice's metadata describes (weights not loaded)."""
    from polyvox.models.vits import VitsGenerator

    config = metadata.config
    return VitsGenerator(
        config.model,
        n_symbols=len(metadata.symbols),
        n_languages=len(metadata.languages),
        n_mels=config.audio.n_mels,
        hop_length=config.audio.hop_length,
    )


def save_voice(path: str | Path, state_dict: dict[str, torch.Tensor], metadata: VoiceMetadata, half: bool = False) -> Path:
    """Write atomically: a temporary file in the same folder is renamed over the target when complete."""
    from safetensors.torch import save_file

    path = Path(path)
    tensors = {}
    for name, tensor in state_dict.items():
        tensor = tensor.detach().cpu().contiguous()
        tensors[name] = tensor.half() if half and tensor.is_floating_point() else tensor
    try:
        with atomic_path(path) as temporary:
            save_file(tensors, str(temporary), metadata=metadata.to_strings(tensors))
    except OSError as error:
        needed = sum(tensor.numel() * tensor.element_size() for tensor in tensors.values())
        raise VoiceFileError(write_failure(path, error, needed)) from error
    return path


def read_metadata(path: str | Path) -> VoiceMetadata:
    from safetensors import safe_open
    from safetensors import SafetensorError

    path = Path(path)
    if not path.is_file():
        raise VoiceFileError(f"voice file not found: {path}")
    try:
        with safe_open(str(path), framework="pt") as handle:
            strings = handle.metadata() or {}
    except (SafetensorError, OSError, ValueError) as error:
        from polyvox.pretrained.file_kinds import file_kind, not_a_voice

        kind = file_kind(path)
        if kind != "safetensors":
            raise VoiceFileError(not_a_voice(path, kind)) from error
        raise VoiceFileError(f"{path} is not a readable .safetensors voice file ({error})") from error
    return VoiceMetadata.from_strings(strings, str(path))


def recorded_fingerprint(path: str | Path) -> dict[str, Any] | None:
    """The fingerprint written into a voice file when it was saved (None: none was)."""
    from safetensors import safe_open

    with safe_open(str(path), framework="pt") as handle:
        written = (handle.metadata() or {}).get(FINGERPRINT_KEY)
    return None if written is None else json.loads(written)


def load_voice_file(path: str | Path) -> tuple[dict[str, torch.Tensor], VoiceMetadata]:
    """Tensors (as float32) and metadata of a voice file."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    metadata = read_metadata(path)
    try:
        tensors = load_file(str(path))
    except (SafetensorError, OSError, ValueError) as error:
        raise VoiceFileError(f"{path}: its tensors cannot be read ({error}); the file may be truncated") from error
    tensors = {name: t.float() if t.is_floating_point() else t for name, t in tensors.items()}
    return tensors, metadata


def decoder_tensors(tensors: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """A voice file's decoder tensors (``load_voice_file``'s), named as the decoder names them: as trained, with their
    weight norm, where a loaded voice's generator has it folded for speed."""
    return {name.removeprefix(DECODER_PREFIX): tensor for name, tensor in tensors.items() if name.startswith(DECODER_PREFIX)}
