"""The VITS-family hyper-parameters the three projects share, and the polyvox config that rebuilds them."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from polyvox.config import (
    AudioConfig,
    ConfigError,
    DecoderConfig,
    DurationConfig,
    FlowConfig,
    ModelConfig,
    PosteriorEncoderConfig,
    TextConfig,
    TextEncoderConfig,
    TrainingConfig,
    VoiceConfig,
)
from polyvox.pretrained.errors import PretrainedImportError

# Fixed in VITS's code (and kept by Piper and MeloTTS) rather than in their configs.
POSTERIOR_KERNEL_SIZE = 5
POSTERIOR_LAYERS = 16
FLOW_KERNEL_SIZE = 5
FLOW_WAVENET_LAYERS = 4
DURATION_FILTER_CHANNELS = 256
DURATION_KERNEL_SIZE = 3
DURATION_DROPOUT = 0.5
STOCHASTIC_FLOWS = 4
RELATIVE_WINDOW_SIZE = 4
# The speaker vector given to a single-speaker source (which has none): every weight that reads it starts at zero,
# so the output is the source's; fine-tuning on more speakers trains them.
SINGLE_SPEAKER_CHANNELS = 64


@dataclass(frozen=True)
class SourceArchitecture:
    sample_rate: int
    n_fft: int
    win_length: int
    hop_length: int
    n_mels: int
    mel_fmin: float
    mel_fmax: float | None  # None: half the sample rate
    inter_channels: int
    hidden_channels: int
    filter_channels: int
    n_heads: int
    n_layers: int
    kernel_size: int
    dropout: float
    resblock_type: str
    resblock_kernel_sizes: tuple[int, ...]
    resblock_dilations: tuple[tuple[int, ...], ...]
    upsample_rates: tuple[int, ...]
    upsample_initial_channel: int
    upsample_kernel_sizes: tuple[int, ...]
    speaker_channels: int  # 0: single speaker
    segment_size: int  # training window, in samples
    flow_type: str = "wavenet"
    n_flows: int = 4
    flow_layers: int = FLOW_WAVENET_LAYERS
    flow_speaker_condition_layer: int | None = None
    text_speaker_condition_layer: int | None = None
    stochastic_weight: float = 1.0
    language_channels: int = 16

    @property
    def decoder_matches_hop(self) -> bool:
        return math.prod(self.upsample_rates) == self.hop_length


def require(values: Mapping[str, Any], key: str, source: str) -> Any:
    if key not in values or values[key] is None:
        raise PretrainedImportError(f"{source} has no {key!r}; it is needed to rebuild the model (is it the config the checkpoint was trained with?)")
    return values[key]


def architecture_from_sections(
    data: Mapping[str, Any],
    model: Mapping[str, Any],
    train: Mapping[str, Any],
    source: str,
    *,
    sample_rate_key: str = "sampling_rate",
    n_mels_key: str = "n_mel_channels",
) -> SourceArchitecture:
    """The hyper-parameters from a VITS-style config's ``data``/``model``/``train`` sections.

    VITS and MeloTTS keep them in those three sections; Piper keeps them all in one dict (pass it three times) and
    spells two audio keys its own way (``sample_rate``, ``mel_channels``).
    """
    return SourceArchitecture(
        sample_rate=int(require(data, sample_rate_key, source)),
        n_fft=int(require(data, "filter_length", source)),
        win_length=int(require(data, "win_length", source)),
        hop_length=int(require(data, "hop_length", source)),
        n_mels=int(data.get(n_mels_key, 80)),
        mel_fmin=float(data.get("mel_fmin") or 0.0),
        mel_fmax=data.get("mel_fmax"),
        inter_channels=int(require(model, "inter_channels", source)),
        hidden_channels=int(require(model, "hidden_channels", source)),
        filter_channels=int(require(model, "filter_channels", source)),
        n_heads=int(require(model, "n_heads", source)),
        n_layers=int(require(model, "n_layers", source)),
        kernel_size=int(require(model, "kernel_size", source)),
        dropout=float(model.get("p_dropout", 0.1)),
        resblock_type=str(require(model, "resblock", source)),
        resblock_kernel_sizes=tuple(require(model, "resblock_kernel_sizes", source)),
        resblock_dilations=tuple(tuple(group) for group in require(model, "resblock_dilation_sizes", source)),
        upsample_rates=tuple(require(model, "upsample_rates", source)),
        upsample_initial_channel=int(require(model, "upsample_initial_channel", source)),
        upsample_kernel_sizes=tuple(require(model, "upsample_kernel_sizes", source)),
        speaker_channels=int(model.get("gin_channels") or 0),
        segment_size=int(train.get("segment_size", 8192)),
    )


def rates_for_hop(hop_length: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Up-sampling rates (factors of 8, then smaller) multiplying to ``hop_length``, and kernels twice each rate."""
    rates: list[int] = []
    remaining = hop_length
    for factor in (8, 7, 6, 5, 4, 3, 2):
        while remaining % factor == 0 and remaining > 1:
            rates.append(factor)
            remaining //= factor
    if remaining > 1:
        rates.append(remaining)
    return tuple(rates), tuple(2 * rate for rate in rates)


def _decoder(arch: SourceArchitecture) -> DecoderConfig:
    dilations = arch.resblock_dilations
    if arch.resblock_type == "2":
        dilations = tuple(tuple(group[:2]) for group in dilations)  # ResBlock2 reads the first two dilations only
    rates, kernels = arch.upsample_rates, arch.upsample_kernel_sizes
    if not arch.decoder_matches_hop:
        rates, kernels = rates_for_hop(arch.hop_length)
    return DecoderConfig(
        type="hifigan",
        initial_channels=arch.upsample_initial_channel,
        upsample_rates=rates,
        upsample_kernel_sizes=kernels,
        resblock_kernel_sizes=arch.resblock_kernel_sizes,
        resblock_dilations=dilations,
        resblock_type="2" if arch.resblock_type == "2" else "1",
        output_leaky_relu_slope=0.01,
    )


def _flow(arch: SourceArchitecture) -> FlowConfig:
    if arch.flow_type == "transformer":
        return FlowConfig(
            n_flows=arch.n_flows, hidden_channels=arch.hidden_channels, kernel_size=FLOW_KERNEL_SIZE, n_layers=arch.flow_layers,
            type="transformer", n_heads=arch.n_heads, filter_channels=arch.filter_channels, dropout=arch.dropout,
            speaker_condition_layer=arch.flow_speaker_condition_layer,
        )
    return FlowConfig(n_flows=arch.n_flows, hidden_channels=arch.hidden_channels, kernel_size=FLOW_KERNEL_SIZE, n_layers=arch.flow_layers)


def voice_config(
    arch: SourceArchitecture, text: TextConfig, n_speakers: int, source: str, prosody_embeddings: bool = False
) -> VoiceConfig:
    """The polyvox config whose generator computes what the source's generator computes (``prosody_embeddings``:
    the source feeds tones or stress beside each phoneme, as MeloTTS does)."""
    try:
        audio = AudioConfig(
            sample_rate=arch.sample_rate, n_fft=arch.n_fft, win_length=arch.win_length, hop_length=arch.hop_length,
            n_mels=arch.n_mels, mel_fmin=arch.mel_fmin, mel_fmax=arch.mel_fmax or arch.sample_rate / 2,
        )
        model = ModelConfig(
            inter_channels=arch.inter_channels,
            speaker_channels=arch.speaker_channels or SINGLE_SPEAKER_CHANNELS,
            n_speakers=n_speakers,
            text_encoder=TextEncoderConfig(
                hidden_channels=arch.hidden_channels, filter_channels=arch.filter_channels, n_heads=arch.n_heads,
                n_layers=arch.n_layers, kernel_size=arch.kernel_size, dropout=arch.dropout, window_size=RELATIVE_WINDOW_SIZE,
                language_channels=arch.language_channels, speaker_condition_layer=arch.text_speaker_condition_layer,
                prosody_embeddings=prosody_embeddings,
            ),
            duration=DurationConfig(
                filter_channels=DURATION_FILTER_CHANNELS, kernel_size=DURATION_KERNEL_SIZE, dropout=DURATION_DROPOUT,
                # VITS builds its stochastic predictor as wide as the text encoder, whatever it is asked for.
                stochastic_filter_channels=arch.hidden_channels, stochastic_flows=STOCHASTIC_FLOWS,
                stochastic_weight=arch.stochastic_weight, log_duration_offset=0.0, rounding="ceil",
            ),
            flow=_flow(arch),
            posterior=PosteriorEncoderConfig(
                hidden_channels=arch.hidden_channels, kernel_size=POSTERIOR_KERNEL_SIZE, dilation_rate=1, n_layers=POSTERIOR_LAYERS
            ),
            decoder=_decoder(arch),
        )
        training = TrainingConfig(segment_frames=max(1, arch.segment_size // arch.hop_length))
        return VoiceConfig(audio=audio, text=text, model=model, training=training)
    except ConfigError as error:
        raise PretrainedImportError(f"{source}: its hyper-parameters do not make a valid polyvox model: {error}") from error
