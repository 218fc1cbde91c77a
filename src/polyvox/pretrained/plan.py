"""What a project's importer decides (architecture, tables, special tensors) before the shared mapping runs."""

from __future__ import annotations

from dataclasses import dataclass, field

from torch import Tensor

from polyvox.voice_file import VoiceMetadata
from polyvox.pretrained.names import DurationRole


@dataclass(frozen=True)
class PreparedTensor:
    """A polyvox tensor the importer computed itself (remapped rows, folded embeddings)."""

    value: Tensor
    sources: tuple[str, ...]
    how: str


@dataclass
class ImportPlan:
    layout: str  # "VITS", "Piper", "MeloTTS"
    metadata: VoiceMetadata
    generator: dict[str, Tensor]  # the source generator's tensors, under the source's names
    duration_roles: dict[str, DurationRole]
    prepared: dict[str, PreparedTensor] = field(default_factory=dict)  # polyvox name -> tensor
    consumed: set[str] = field(default_factory=set)  # source names used by ``prepared``
    left_out: dict[str, str] = field(default_factory=dict)  # source name -> why it is not imported
    # Source tensors outside the generator (discriminator, ...) -> why they are not imported.
    other_tensors: dict[str, tuple[Tensor, str]] = field(default_factory=dict)
    reuse_decoder: bool = True
    decoder_reason: str = ""  # why the decoder is not reused, when it is not
    # Polyvox module prefix -> why its weights start at zero when the source has none (magnitudes of weight-norm pairs).
    zeroed: dict[str, str] = field(default_factory=dict)
    # Polyvox module prefix -> how it is initialised when the source has no (usable) weights for it.
    initialisation: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
