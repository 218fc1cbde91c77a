"""``voice.onnx.json``: everything an engine needs next to the exported graphs (no torch here).

The exporter writes it; ``OnnxVoice`` and engines in other languages read it. It holds the symbol
table, languages, speakers, audio parameters, default scales, the context streaming needs, the
graphs' file names and interface, and the voice's whole config; for a style voice, its style tables; for a voice trained
with text features, the identity of its text-feature model (the engine computes the features and refuses another
model, as ``Voice`` does). Every graph carries the same random ``export_id`` in its ONNX metadata as the json, so files
from different exports are never mixed.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from polyvox.config import ConfigError, VoiceConfig
from polyvox.errors import PolyvoxError
from polyvox.fingerprint import NO_TEXT_FEATURES, TextFeatureModel, text_feature_model
from polyvox.export.style_tables import StyleTables
from polyvox.files import atomic_path
from polyvox.synthesis_settings import SynthesisSettings
from polyvox.text.errors import TextError
from polyvox.text.symbols import SymbolTable

FORMAT_NAME = "polyvox-onnx-voice"
# Text-feature exports are version 3: older readers refuse them ("upgrade polyvox") rather than run graphs whose
# text_features input they would not feed. Style exports are version 2, for the same reason.
FORMAT_VERSION = 3
STYLED_FORMAT_VERSION = 2
# What an export without style or text features writes: older readers still read it.
UNSTYLED_FORMAT_VERSION = 1
# Keys in each graph's ONNX metadata_props.
EXPORT_ID_KEY = "polyvox_export_id"
GRAPH_KEY = "polyvox_graph"
# Channels of the stochastic duration predictor's noise (its latent: log-duration and one auxiliary channel).
DURATION_NOISE_CHANNELS = 2

# The graphs' interface: names in the order torch.onnx.export receives them. Shapes are in docs/onnx.md.
# prosody_ids (accent and length beside each id) is read by voices of the features input scheme; a graph of a
# fused-scheme voice has no such input (onnxruntime lists a graph's own inputs).
_TEXT_INPUTS = ("phoneme_ids", "language_ids", "text_lengths", "speaker_ids", "length_scale", "noise_scale_duration")
ENCODER_INPUTS = (*_TEXT_INPUTS, "duration_noise", "prosody_ids")
ENCODER_OUTPUTS = ("prior_means", "prior_log_scales", "frame_mask", "frame_lengths", "durations")
DECODER_INPUTS = ("latent", "frame_mask", "speaker_ids", "trim")
DECODER_OUTPUTS = ("waveform",)
FULL_INPUTS = (*_TEXT_INPUTS, "noise_scale", "duration_noise", "prior_noise", "prosody_ids")
FULL_OUTPUTS = ("waveform", "sample_lengths", "durations")
GRAPH_INTERFACES = {
    "full": (FULL_INPUTS, FULL_OUTPUTS),
    "encoder": (ENCODER_INPUTS, ENCODER_OUTPUTS),
    "decoder": (DECODER_INPUTS, DECODER_OUTPUTS),
}
# A voice with a style sampler has two more graphs: the sampler's condition, and its two velocities at a point of
# the flow from noise to a style (the engine runs the Euler loop: style_graphs.py).
SAMPLER_INTERFACES = {
    "style_condition": (("phoneme_ids", "language_ids", "text_lengths", "speaker_ids", "prosody_ids"), ("style_condition",)),
    "style_velocity": (("styles", "times", "style_condition"), ("conditioned_velocity", "free_velocity")),
}
# A style voice has one more graph, its style encoder: a reference clip's log-mel -> the clip's style (before the blend
# with the neutral style by strength). Exports made before it lack it: they speak labels and sampled styles, not clips.
STYLE_ENCODER_INTERFACE = {"style_encoder": (("reference_mel",), ("clip_style",))}
# A style voice's graphs take its style vector (batch, style_channels) last: the prosody components' conditioning.
STYLE_INPUT = "style_vectors"
# A text-feature voice's text graphs (full, encoder, a style sampler's condition) take each id's features
# (batch, text_len, dim) float32 after the others (after STYLE_INPUT too): graphs of voices without them are as before.
TEXT_FEATURES_INPUT = "text_features"
TEXT_FEATURE_GRAPHS = ("full", "encoder", "style_condition")
# The decoder graph of a voice with a harmonic source (models/decoders/harmonic_source.py) takes, last, the source's
# phase (batch,) in cycles at its window's first frame and that frame's place in the decoder's input (1,) (the frames
# of context before it), and gives the F0 it read per decoder frame (batch, frames; cycles per sample): the engine moves
# the phase on by the window's F0, so streamed windows join as the whole sentence. Other voices' graphs are as before.
SOURCE_INPUTS = ("source_phase", "source_lead")
SOURCE_OUTPUT = "source_f0"


def graph_interface(
    kind: str, styled: bool, featured: bool = False, sourced: bool = False
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Input and output names of graph ``kind``; a style voice's (``styled``) speech graphs end with ``STYLE_INPUT``, a
    text-feature voice's (``featured``) text graphs with ``TEXT_FEATURES_INPUT``, the decoder graph of a voice with a
    harmonic source (``sourced``) with ``SOURCE_INPUTS`` and one more output, ``SOURCE_OUTPUT``."""
    if kind in STYLE_ENCODER_INTERFACE:
        return STYLE_ENCODER_INTERFACE[kind]
    if kind in SAMPLER_INTERFACES:
        inputs, outputs = SAMPLER_INTERFACES[kind]
    else:
        inputs, outputs = GRAPH_INTERFACES[kind]
        inputs = (*inputs, STYLE_INPUT) if styled else inputs
    if sourced and kind == "decoder":
        inputs, outputs = (*inputs, *SOURCE_INPUTS), (*outputs, SOURCE_OUTPUT)
    return ((*inputs, TEXT_FEATURES_INPUT) if featured and kind in TEXT_FEATURE_GRAPHS else inputs), outputs


# What to do when onnx or onnxruntime is not installed.
ONNX_INSTALL_HINT = "install the ONNX extra: pip install 'polyvox[onnx]'"


class OnnxVoiceError(PolyvoxError, ValueError):
    """An exported voice is missing, unreadable, or its files do not belong together; the message says which."""


def metadata_path(onnx_path: str | Path) -> Path:
    """``voice.onnx`` -> ``voice.onnx.json``."""
    onnx_path = Path(onnx_path)
    return onnx_path.with_name(onnx_path.name + ".json")


def graph_file_names(onnx_path: str | Path) -> dict[str, str]:
    """File names of the graphs an export to ``onnx_path`` may write: ``voice.onnx``, ``voice.encoder.onnx``, ...
    (the style encoder's only for a style voice, the style sampler's two only for a voice that has one)."""
    onnx_path = Path(onnx_path)
    stem = onnx_path.name[: -len(".onnx")] if onnx_path.name.endswith(".onnx") else onnx_path.name
    return {
        "full": onnx_path.name, "encoder": f"{stem}.encoder.onnx", "decoder": f"{stem}.decoder.onnx",
        **{kind: f"{stem}.{kind}.onnx" for kind in (*STYLE_ENCODER_INTERFACE, *SAMPLER_INTERFACES)},
    }


@dataclass(frozen=True)
class GraphFile:
    """One exported graph: its file name (next to the json) and the names of its inputs and outputs.

    A graph lacks the inputs its voice does not use (``noise_scale_duration`` and ``duration_noise``
    when the voice's durations are deterministic); ``inputs`` lists the ones it has.
    """

    file: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]


@dataclass(frozen=True)
class FrameReach:
    left: int
    right: int


@dataclass(frozen=True)
class StreamingContext:
    """Latent frames of context each side of a streamed window (the voice's ``LatentContext``, as numbers)."""

    flow: FrameReach
    decoder: FrameReach


@dataclass(frozen=True)
class OnnxVoiceMetadata:
    export_id: str
    # "full" / "encoder" / "decoder", a style voice's "style_encoder", a style sampler's "style_condition" / "style_velocity"
    graphs: dict[str, GraphFile]
    config: VoiceConfig
    symbols: SymbolTable
    languages: tuple[str, ...]
    speakers: tuple[str, ...]
    streaming: StreamingContext
    opset: int
    info: dict[str, str] = field(default_factory=dict)
    style: StyleTables | None = None  # a style voice's label rows and neutral style

    @property
    def sample_rate(self) -> int:
        return self.config.audio.sample_rate

    @property
    def text_features(self) -> TextFeatureModel | None:
        """The text-feature model the voice was trained with (name, dim, weights sha256); None for a voice without."""
        model = text_feature_model(self.config)
        return None if model == NO_TEXT_FEATURES else model

    def format_version(self) -> int:
        if self.text_features is not None:
            return FORMAT_VERSION
        return UNSTYLED_FORMAT_VERSION if self.style is None else STYLED_FORMAT_VERSION

    def to_dict(self) -> dict[str, Any]:
        """The json document; the sections before ``config`` are what an engine needs, ``config`` is the whole voice."""
        text = self.config.text
        settings = SynthesisSettings.from_info(self.info)
        document: dict[str, Any] = {
            "format": FORMAT_NAME,
            "format_version": self.format_version(),
            "export_id": self.export_id,
            "opset": self.opset,
            "graphs": {
                kind: {"file": graph.file, "inputs": list(graph.inputs), "outputs": list(graph.outputs)}
                for kind, graph in self.graphs.items()
            },
            "audio": {"sample_rate": self.sample_rate, "samples_per_frame": self.config.audio.hop_length},
            "text": {
                "add_blank": text.add_blank,
                "sequence_layout": text.sequence_layout,
                "token_unit": text.token_unit,
                "inline_latin_language": text.inline_latin_language,
            },
            "symbols": self.symbols.to_list(),
            "languages": list(self.languages),
            "speakers": list(self.speakers),
            # The voice's own settings (its info's "synthesis", else the standard ones), as Piper's .onnx.json has them.
            "inference": {
                "length_scale": settings.length_scale,
                "noise_scale": settings.noise_scale,
                "noise_scale_duration": settings.noise_scale_duration,
            },
            "model": {
                "latent_channels": self.config.model.inter_channels,
                "duration_noise_channels": DURATION_NOISE_CHANNELS,
                "stochastic_duration_weight": self.config.model.duration.stochastic_weight,
            },
            "streaming": {
                "flow_context": [self.streaming.flow.left, self.streaming.flow.right],
                "decoder_context": [self.streaming.decoder.left, self.streaming.decoder.right],
            },
            "info": self.info,
            "config": self.config.to_dict(),
        }
        if self.style is not None:
            document["style"] = self.style.to_dict()
        if self.text_features is not None:
            document["text_features"] = {
                **dataclasses.asdict(self.text_features), "layer": self.config.model.text_features.layer, "input": TEXT_FEATURES_INPUT,
            }
        return document

    @classmethod
    def from_dict(cls, data: dict[str, Any], source: str) -> OnnxVoiceMetadata:
        if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
            raise OnnxVoiceError(f"{source} is not polyvox ONNX metadata (no format '{FORMAT_NAME}'); export the voice again")
        version = data.get("format_version")
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise OnnxVoiceError(f"{source} has format version {version!r}; this polyvox reads up to {FORMAT_VERSION}: upgrade polyvox")
        try:
            config = VoiceConfig.from_dict(data["config"])
            graphs = {
                kind: GraphFile(
                    str(data["graphs"][kind]["file"]),
                    tuple(str(name) for name in data["graphs"][kind]["inputs"]),
                    tuple(str(name) for name in data["graphs"][kind]["outputs"]),
                )
                for kind in (*GRAPH_INTERFACES, *STYLE_ENCODER_INTERFACE, *SAMPLER_INTERFACES)
                if kind in GRAPH_INTERFACES or kind in data["graphs"]
            }
            flow_context, decoder_context = data["streaming"]["flow_context"], data["streaming"]["decoder_context"]
            metadata = cls(
                export_id=str(data["export_id"]),
                graphs=graphs,
                config=config,
                symbols=SymbolTable(data["symbols"]),
                languages=tuple(data["languages"]),
                speakers=tuple(data["speakers"]),
                streaming=StreamingContext(
                    FrameReach(int(flow_context[0]), int(flow_context[1])),
                    FrameReach(int(decoder_context[0]), int(decoder_context[1])),
                ),
                opset=int(data["opset"]),
                info=dict(data.get("info", {})),
                style=StyleTables.from_dict(data["style"]) if "style" in data else None,
            )
        except (KeyError, TypeError, ValueError, ConfigError, TextError) as error:
            raise OnnxVoiceError(f"{source}: a field is missing or malformed ({type(error).__name__}: {error}); export the voice again") from error
        if config.model.style.enabled != (metadata.style is not None):
            raise OnnxVoiceError(f"{source}: the voice's style component and the 'style' section do not match; export the voice again")
        if "style_encoder" in graphs and not config.model.style.enabled:
            raise OnnxVoiceError(f"{source}: a style encoder graph is listed for a voice without style; export the voice again")
        if config.model.style_sampler.enabled != all(kind in graphs for kind in SAMPLER_INTERFACES):
            raise OnnxVoiceError(f"{source}: the voice's style sampler and the sampler graphs listed do not match; export the voice again")
        if _recorded_text_features(data.get("text_features")) != metadata.text_features:
            raise OnnxVoiceError(f"{source}: the 'text_features' section and the voice's config do not match; export the voice again")
        if len(metadata.speakers) > config.model.n_speakers:
            raise OnnxVoiceError(f"{source}: {len(metadata.speakers)} speakers listed but the model has {config.model.n_speakers}")
        return metadata


def _recorded_text_features(section: object) -> TextFeatureModel | None:
    """The json's 'text_features' section as a model identity; None when absent or malformed."""
    if not isinstance(section, dict):
        return None
    return TextFeatureModel(section.get("name", ""), section.get("dim", 0), section.get("weights_sha256", ""))


def write_metadata(path: str | Path, metadata: OnnxVoiceMetadata) -> Path:
    """Write the json atomically (a crash never leaves half a file)."""
    path = Path(path)
    try:
        with atomic_path(path) as temporary:
            temporary.write_text(json.dumps(metadata.to_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    except OSError as error:
        raise OnnxVoiceError(f"cannot write {path}: {error.strerror or error}") from error
    return path


def read_metadata(path: str | Path) -> OnnxVoiceMetadata:
    path = Path(path)
    if not path.is_file():
        raise OnnxVoiceError(f"ONNX voice metadata not found: {path}; it is written next to the .onnx by 'polyvox export'")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise OnnxVoiceError(f"{path} is not readable JSON ({error}); export the voice again") from error
    return OnnxVoiceMetadata.from_dict(data, str(path))
