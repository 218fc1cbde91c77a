"""Component fingerprints: a flat, ordered record of everything a voice's weights depend on.

A fingerprint is written into every voice file and training checkpoint. Loading, resuming or
fine-tuning compares the fingerprint of what was trained with the fingerprint of what is asked
for and stops, listing every difference, before anything is built or computed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from polyvox.config import ConfigError, VoiceConfig
from polyvox.text.prosody import PROSODY_SCHEME

if TYPE_CHECKING:
    from polyvox.voice_file import VoiceMetadata

FINGERPRINT_KEY = "fingerprint"
# The style sampler's weights are fingerprinted too (a sampler's output is only meaningful with the voice it was
# trained with, and a swapped one is how a NaN style reaches the decoder): a sha256 of its tensors.
STYLE_SAMPLER_PREFIX = "style_sampler."
STYLE_SAMPLER_WEIGHTS = "model.style_sampler.weights_sha256"

# Shape parameters of each generator component (dropout and inference-only knobs are left out:
# they do not change which weights exist or what they mean).
_TEXT_ENCODER_FIELDS = ("hidden_channels", "filter_channels", "n_heads", "n_layers", "kernel_size", "window_size", "language_channels")
_DURATION_FIELDS = ("filter_channels", "kernel_size", "stochastic_filter_channels", "stochastic_flows")
_FLOW_FIELDS = ("n_flows", "hidden_channels", "kernel_size", "dilation_rate", "n_layers")
_POSTERIOR_FIELDS = ("hidden_channels", "kernel_size", "dilation_rate", "n_layers")
# Fields added for imported voices (VITS, Piper, MeloTTS) and later (the style sampler's condition normalization):
# listed only when they differ from their default, so every voice made before them keeps its fingerprint.
_OPTIONAL_FIELDS = (
    "text.sequence_layout", "text.token_unit", "model.text_encoder.speaker_condition_layer",
    "model.text_encoder.prosody_embeddings",
    "model.duration.log_duration_offset", "model.duration.rounding",
    "model.flow.type", "model.flow.n_heads", "model.flow.filter_channels", "model.flow.speaker_condition_layer",
    "model.decoder.resblock_type", "model.decoder.output_leaky_relu_slope",
    "model.decoder.harmonic_source", "model.decoder.harmonics", "model.decoder.pitch_channels",
    "model.decoder.balanced_upsampling", "model.decoder.istft_phase_advance",
    "model.style_sampler.condition_normalization",
)


@dataclass(frozen=True)
class TextFeatureModel:
    """An external text-feature model (e.g. BERT) feeding the text encoder; ``none`` when there is none."""

    name: str = "none"
    dim: int = 0
    weights_sha256: str = ""


NO_TEXT_FEATURES = TextFeatureModel()


def text_feature_model(config: VoiceConfig) -> TextFeatureModel:
    """The text-feature model a voice was trained with (``NO_TEXT_FEATURES`` for most voices)."""
    section = config.model.text_features
    return TextFeatureModel(section.name, section.dim, section.weights_sha256) if section.enabled else NO_TEXT_FEATURES


@dataclass(frozen=True)
class Difference:
    field: str
    stored: Any  # value in the checkpoint (None: absent there)
    given: Any  # value asked for (None: absent there)

    def describe(self) -> str:
        return f"{self.field}: checkpoint={_show(self.stored)}, given={_show(self.given)}"


class CompatibilityError(ConfigError):
    """A config or component differs from the one a checkpoint was trained with; lists every difference."""

    def __init__(self, source: str, differences: list[Difference], partial_option: str = "partial=True") -> None:
        self.differences = differences
        lines = "\n".join(f"  {difference.describe()}" for difference in differences)
        super().__init__(
            f"{source} was trained with a different configuration ({len(differences)} difference(s)):\n{lines}\n"
            f"Use the checkpoint's own config (leave the config out, or copy it from the checkpoint), "
            f"or pass {partial_option} to load only the tensors whose shapes still match (each one left out is reported)."
        )


def _show(value: Any) -> str:
    return "absent" if value is None else json.dumps(value, ensure_ascii=False)


def _plain(value: Any) -> Any:
    """Tuples become lists, so a fingerprint equals itself after a JSON round trip."""
    if isinstance(value, (tuple, list)):
        return [_plain(item) for item in value]
    return value


def config_fingerprint(config: VoiceConfig, include_discriminator: bool = False) -> dict[str, Any]:
    """The architecture-defining fields of ``config`` (no training schedule), flat and ordered."""
    model = config.model
    entries: dict[str, Any] = {}
    for name, value in dataclasses.asdict(model.decoder).items():
        if f"model.decoder.{name}" not in _OPTIONAL_FIELDS:
            entries[f"model.decoder.{name}"] = value
    for name, value in dataclasses.asdict(config.audio).items():
        entries[f"audio.{name}"] = value
    entries["text.add_blank"] = config.text.add_blank
    entries["model.inter_channels"] = model.inter_channels
    entries["model.speaker_channels"] = model.speaker_channels
    for section, names in (
        ("text_encoder", _TEXT_ENCODER_FIELDS),
        ("duration", _DURATION_FIELDS),
        ("flow", _FLOW_FIELDS),
        ("posterior", _POSTERIOR_FIELDS),
    ):
        part = getattr(model, section)
        for name in names:
            entries[f"model.{section}.{name}"] = getattr(part, name)
    entries.update(_optional_entries(config))
    if model.text_encoder.prosody_embeddings:
        # The accent and length tables the prosody ids index: a change to them changes what the weights mean.
        entries["text.prosody_scheme"] = PROSODY_SCHEME
    # Only when present: voices made before reference encoders existed keep their fingerprint.
    if model.reference_encoder.enabled:
        for name, value in dataclasses.asdict(model.reference_encoder).items():
            entries[f"model.reference_encoder.{name}"] = value
    # Likewise the style component (its label table included: a label's row is what --emotion speaks).
    if model.style.enabled:
        for name, value in dataclasses.asdict(model.style).items():
            entries[f"model.style.{name}"] = value
    if model.style_sampler.enabled:
        for name, value in dataclasses.asdict(model.style_sampler).items():
            if f"model.style_sampler.{name}" not in _OPTIONAL_FIELDS:
                entries[f"model.style_sampler.{name}"] = value
    if model.frame_prior.enabled:
        for name, value in dataclasses.asdict(model.frame_prior).items():
            entries[f"model.frame_prior.{name}"] = value
    if model.text_features.enabled:
        # Which of the model's layers is read; its name, size and weights are the text_features.* entries.
        entries["model.text_features.layer"] = model.text_features.layer
    if include_discriminator:
        for name, value in dataclasses.asdict(model.discriminator).items():
            entries[f"model.discriminator.{name}"] = value
    return {key: _plain(value) for key, value in entries.items()}


def _optional_entries(config: VoiceConfig) -> dict[str, Any]:
    """The optional fields whose value is not the default (see ``_OPTIONAL_FIELDS``)."""
    values, defaults = config.to_dict(), VoiceConfig().to_dict()
    entries = {}
    for dotted in _OPTIONAL_FIELDS:
        value, default = values, defaults
        for key in dotted.split("."):
            value, default = value[key], default[key]
        if value != default:
            entries[dotted] = value
    return entries


def style_sampler_sha256(tensors: Mapping[str, Any]) -> str:
    """sha256 of the style sampler's tensors (names, shapes and float32 values, in name order)."""
    digest = hashlib.sha256()
    for name in sorted(name for name in tensors if name.startswith(STYLE_SAMPLER_PREFIX)):
        values = tensors[name].detach().cpu().float().contiguous()
        digest.update(f"{name}{list(values.shape)};".encode())
        digest.update(values.numpy().tobytes())
    return digest.hexdigest()


def style_sampler_weights_problem(recorded: Mapping[str, Any] | None, tensors: Mapping[str, Any], source: str) -> str | None:
    """One line when the style sampler's weights in ``tensors`` are not those the recorded fingerprint names; None
    when they are, or when nothing was recorded (a voice without a sampler, or written before the field)."""
    stored = (recorded or {}).get(STYLE_SAMPLER_WEIGHTS)
    if stored is None:
        return None
    own = style_sampler_sha256(tensors)
    if own == stored:
        return None
    return (
        f"{source}: its style sampler's weights are not the ones it was saved with (sha256 {own[:12]}, recorded "
        f"{str(stored)[:12]}): the file was edited or its sampler comes from another voice; use the voice as trained "
        f"(polyvox doctor {source} shows the difference)"
    )


def component_fingerprint(
    metadata: VoiceMetadata,
    text_features: TextFeatureModel = NO_TEXT_FEATURES,
    include_discriminator: bool = False,
    tensors: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Config fingerprint plus the voice's tables (symbols, languages, speakers) and text-feature model (the
    config's, for a voice trained with one); with the generator's ``tensors``, the style sampler's weights too
    (voices that have one)."""
    entries = config_fingerprint(metadata.config, include_discriminator)
    if text_features == NO_TEXT_FEATURES:
        text_features = text_feature_model(metadata.config)
    if tensors is not None and metadata.config.model.style_sampler.enabled:
        entries[STYLE_SAMPLER_WEIGHTS] = style_sampler_sha256(tensors)
    entries["symbols.sha256"] = metadata.symbols.fingerprint()
    entries["symbols.size"] = len(metadata.symbols)
    entries["languages"] = list(metadata.languages)
    entries["speakers"] = list(metadata.speakers)
    entries["text_features.name"] = text_features.name
    entries["text_features.dim"] = text_features.dim
    entries["text_features.weights_sha256"] = text_features.weights_sha256
    return entries


def compare_fingerprints(stored: dict[str, Any], given: dict[str, Any]) -> list[Difference]:
    """Every field whose value differs, in the stored order (fields only one side has come last)."""
    differences = []
    for field, value in stored.items():
        other = given.get(field)
        if _plain(value) != _plain(other):
            differences.append(Difference(field, value, other))
    for field, value in given.items():
        if field not in stored:
            differences.append(Difference(field, None, value))
    return differences


def require_compatible(
    stored: VoiceMetadata, config: VoiceConfig, source: str, include_discriminator: bool = False, partial_option: str = "partial=True"
) -> None:
    """Raise ``CompatibilityError`` when ``config`` describes other weights than ``stored``'s config.

    Languages and speakers come from the stored tables (a config's own lists are filled from data).
    """
    given = dataclasses.replace(stored, config=config)
    differences = compare_fingerprints(
        component_fingerprint(stored, include_discriminator=include_discriminator),
        component_fingerprint(given, include_discriminator=include_discriminator),
    )
    if differences:
        raise CompatibilityError(source, differences, partial_option)
