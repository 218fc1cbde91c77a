"""Which project wrote a checkpoint: VITS ``G_*.pth``, a Piper Lightning ``.ckpt`` or a MeloTTS ``checkpoint.pth``."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

from torch import Tensor

from polyvox.pretrained.errors import UnknownLayoutError

Layout = Literal["vits", "piper", "melotts"]

PIPER_GENERATOR_PREFIX = "model_g."
# Top-level modules of a VITS-family generator and what they are.
COMPONENTS = {
    "enc_p": "text encoder",
    "enc_q": "posterior encoder",
    "flow": "flow",
    "dec": "decoder",
    "dp": "duration predictor",
    "sdp": "stochastic duration predictor",
    "emb_g": "speaker table",
    "ref_enc": "reference encoder",
}
REQUIRED_COMPONENTS = ("enc_p", "flow", "dec")
# Tensors only MeloTTS's text encoder has (tones, languages, BERT features).
MELOTTS_MARKERS = ("enc_p.tone_emb.weight", "enc_p.language_emb.weight", "enc_p.bert_proj.weight")
SUPPORTED = (
    "VITS G_*.pth ({'model', 'iteration', 'optimizer', 'learning_rate'}, generator keys enc_p.*, enc_q.*, flow.*, dec.*, dp.*), "
    "Piper Lightning .ckpt ({'state_dict' with model_g.* keys, 'hyper_parameters'}), "
    "MeloTTS checkpoint.pth (VITS's layout plus enc_p.tone_emb, enc_p.language_emb, enc_p.bert_proj)"
)


@dataclass(frozen=True)
class SourceCheckpoint:
    layout: Layout
    generator: dict[str, Tensor]  # generator tensors, prefix removed
    other_tensors: dict[str, Tensor] = field(default_factory=dict)  # e.g. Piper's discriminator (model_d.*)
    entries: dict[str, Any] = field(default_factory=dict)  # the other top-level entries (iteration, hyper_parameters)


def _tensors(mapping: Any) -> dict[str, Tensor]:
    if not isinstance(mapping, dict):
        return {}
    return {name: value for name, value in mapping.items() if isinstance(name, str) and isinstance(value, Tensor)}


def _components(state: dict[str, Tensor]) -> Counter[str]:
    return Counter(name.split(".", 1)[0] for name in state)


def _describe(state: dict[str, Tensor]) -> tuple[list[str], list[str]]:
    counts = _components(state)
    recognised = [f"{COMPONENTS[head]} ({head}.*, {count} tensors)" for head, count in counts.items() if head in COMPONENTS]
    unrecognised = [f"{head}.* ({count} tensors)" for head, count in counts.items() if head not in COMPONENTS]
    unrecognised += [f"no {COMPONENTS[head]} ({head}.*)" for head in REQUIRED_COMPONENTS if head not in counts]
    return recognised, unrecognised


def _generator_state(data: dict[str, Any]) -> tuple[str, dict[str, Tensor], dict[str, Tensor]]:
    """(where the generator was found, its tensors, other tensors) for the three layouts."""
    state_dict = _tensors(data.get("state_dict"))
    if any(name.startswith(PIPER_GENERATOR_PREFIX) for name in state_dict):
        generator = {name[len(PIPER_GENERATOR_PREFIX) :]: t for name, t in state_dict.items() if name.startswith(PIPER_GENERATOR_PREFIX)}
        others = {name: t for name, t in state_dict.items() if not name.startswith(PIPER_GENERATOR_PREFIX)}
        return "state_dict (model_g.*)", generator, others
    if isinstance(data.get("model"), dict):
        return "model", _tensors(data["model"]), {}
    if state_dict:
        return "state_dict", state_dict, {}
    return "top level", _tensors(data), {}


def detect_layout(data: dict[str, Any], source: str) -> SourceCheckpoint:
    """The layout of a loaded checkpoint; ``UnknownLayoutError`` names what was recognised and what was not."""
    where, generator, others = _generator_state(data)
    entries = {key: value for key, value in data.items() if key not in ("model", "state_dict")}
    recognised, unrecognised = _describe(generator)
    if generator and all(head in _components(generator) for head in REQUIRED_COMPONENTS):
        if where.startswith("state_dict (model_g"):
            return SourceCheckpoint("piper", generator, others, entries)
        layout: Layout = "melotts" if any(marker in generator for marker in MELOTTS_MARKERS) else "vits"
        return SourceCheckpoint(layout, generator, others, entries)
    top_level = ", ".join(f"{key!r}" for key in data) or "nothing"
    if any(name.startswith("discriminators.") for name in generator):
        unrecognised.insert(0, "a discriminator (discriminators.*): this is a D_*.pth; import the generator G_*.pth")
    raise UnknownLayoutError(
        f"{source} is not a checkpoint layout polyvox can import. Top-level entries: {top_level}; "
        f"tensors read from {where}: {len(generator)}. "
        f"Recognised: {', '.join(recognised) or 'no VITS-family module'}. "
        f"Not recognised: {', '.join(unrecognised) or 'nothing'}. polyvox imports {SUPPORTED}."
    )
