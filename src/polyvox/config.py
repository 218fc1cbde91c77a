"""Typed, frozen configuration for every part of a voice.

Each dataclass validates its own invariants in ``__post_init__`` so a bad config fails when it is
built, not three hours into training. ``VoiceConfig.to_dict`` / ``from_dict`` round-trip through
JSON, which is how a config travels inside a voice file.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field, fields, is_dataclass
from typing import Any, Literal, get_type_hints

from polyvox.config_types import coerce_literal, type_problem
from polyvox.errors import PolyvoxError
from polyvox.models.decoder_registry import DECODER_ENTRIES, names_with_inverse_stft_head


class ConfigError(PolyvoxError, ValueError):
    """A configuration value breaks an invariant; the message says which and how to fix it."""


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigError(message)


@dataclass(frozen=True)
class AudioConfig:
    """Waveform and spectrogram parameters shared by data preparation, training and synthesis."""

    sample_rate: int = 22050
    n_fft: int = 1024
    win_length: int = 1024
    hop_length: int = 256
    n_mels: int = 80
    mel_fmin: float = 0.0
    mel_fmax: float = 8000.0

    def __post_init__(self) -> None:
        _require(self.sample_rate >= 8000, f"sample_rate must be >= 8000 Hz, got {self.sample_rate}")
        _require(self.win_length <= self.n_fft, f"win_length ({self.win_length}) must be <= n_fft ({self.n_fft})")
        _require(0 < self.hop_length <= self.win_length, "hop_length must be in (0, win_length]")
        _require(self.n_mels > 0, "n_mels must be positive")
        _require(
            0 <= self.mel_fmin < self.mel_fmax <= self.sample_rate / 2,
            f"need 0 <= mel_fmin < mel_fmax <= sample_rate/2 ({self.sample_rate / 2}), "
            f"got {self.mel_fmin}..{self.mel_fmax}",
        )

    @property
    def n_freqs(self) -> int:
        return self.n_fft // 2 + 1


@dataclass(frozen=True)
class TextConfig:
    """Text front end: which languages the voice speaks and how ids are laid out."""

    languages: tuple[str, ...] = ("en",)
    # Insert a blank id between phonemes (VITS "add_blank"): gives the alignment search room.
    add_blank: bool = True
    # Language used for Latin-script words inside a non-Latin sentence (inline switching).
    inline_latin_language: str = "en"
    # Id sequence around the phonemes (with add_blank): "polyvox" _ ^ _ p _ ... p _ $ _; "piper" ^ _ p _ ... p _ $
    # (Piper's phoneme ids); "vits" _ p _ ... _ p _ (original VITS, no BOS/EOS). Imported voices use their source's.
    sequence_layout: Literal["polyvox", "piper", "vits"] = "polyvox"
    # "codepoint" splits every phoneme into its characters ("ˈoʊ" -> "ˈ", "o", "ʊ"), as VITS and Piper number them.
    token_unit: Literal["phoneme", "codepoint"] = "phoneme"

    def __post_init__(self) -> None:
        _require(len(self.languages) > 0, "a voice needs at least one language")
        _require(len(set(self.languages)) == len(self.languages), f"duplicate languages in {self.languages}")
        _require(
            self.sequence_layout in ("polyvox", "piper", "vits"),
            f"sequence_layout must be 'polyvox', 'piper' or 'vits', got {self.sequence_layout!r}",
        )
        _require(self.token_unit in ("phoneme", "codepoint"), f"token_unit must be 'phoneme' or 'codepoint', got {self.token_unit!r}")


@dataclass(frozen=True)
class TextEncoderConfig:
    """Transformer text encoder with relative-position attention (as in VITS)."""

    hidden_channels: int = 192
    filter_channels: int = 768
    n_heads: int = 2
    n_layers: int = 6
    kernel_size: int = 3
    dropout: float = 0.1
    # Window of relative positions the attention can tell apart.
    window_size: int = 4
    language_channels: int = 16
    # Layer before which the speaker vector (projected) is added to the hidden states (MeloTTS: 2); None = no speaker input.
    speaker_condition_layer: int | None = None
    # The input scheme. True ("features", every preset): a token is a bare phoneme and its stress, tone or pitch
    # accent and its length are embedded beside it (polyvox.text.prosody), so any known phoneme takes any accent.
    # False ("fused"): stress and tone are part of the symbol, as in voices made before this field and imported ones.
    prosody_embeddings: bool = False

    def __post_init__(self) -> None:
        _require(self.hidden_channels % self.n_heads == 0, "hidden_channels must be divisible by n_heads")
        _require(self.kernel_size % 2 == 1, "text encoder kernel_size must be odd")
        _require(0.0 <= self.dropout < 1.0, "dropout must be in [0, 1)")
        _require(
            self.speaker_condition_layer is None or 0 <= self.speaker_condition_layer < self.n_layers,
            f"text_encoder speaker_condition_layer must be None or in [0, n_layers), got {self.speaker_condition_layer}",
        )


@dataclass(frozen=True)
class DurationConfig:
    """Duration predictors: a deterministic one and a stochastic (flow-based) one."""

    filter_channels: int = 256
    kernel_size: int = 3
    dropout: float = 0.5
    stochastic_filter_channels: int = 192
    stochastic_flows: int = 4
    # At inference, blend of the two predictors: 1.0 = stochastic only, 0.0 = deterministic only.
    stochastic_weight: float = 0.0
    # The predictors model log(frames + log_duration_offset): 1 keeps 0-frame tokens finite (polyvox); VITS, Piper
    # and MeloTTS use 0 (their deterministic target is log(frames + 1e-6)).
    log_duration_offset: float = 1.0
    # Frames per token at inference: "cumulative" rounds the running total; "ceil" rounds each token up (VITS family).
    rounding: Literal["cumulative", "ceil"] = "cumulative"

    def __post_init__(self) -> None:
        _require(self.kernel_size % 2 == 1, "duration kernel_size must be odd")
        _require(0.0 <= self.stochastic_weight <= 1.0, "stochastic_weight must be in [0, 1]")
        _require(self.log_duration_offset >= 0.0, "log_duration_offset must be >= 0 (1 for polyvox voices, 0 for VITS-family)")
        _require(self.rounding in ("cumulative", "ceil"), f"duration rounding must be 'cumulative' or 'ceil', got {self.rounding!r}")


@dataclass(frozen=True)
class FlowConfig:
    """Residual (mean-only) coupling flow between the prior and posterior latents."""

    n_flows: int = 4
    hidden_channels: int = 192
    kernel_size: int = 5
    dilation_rate: int = 1
    n_layers: int = 4
    # Network inside each coupling: "wavenet" (VITS) or "transformer" (relative-attention layers, MeloTTS / VITS2);
    # the fields below are used by "transformer" only (kernel_size is then its feed-forward kernel).
    type: Literal["wavenet", "transformer"] = "wavenet"
    n_heads: int = 2
    filter_channels: int = 768
    dropout: float = 0.0
    speaker_condition_layer: int | None = None

    def __post_init__(self) -> None:
        _require(self.kernel_size % 2 == 1, "flow kernel_size must be odd")
        _require(self.type in ("wavenet", "transformer"), f"flow type must be 'wavenet' or 'transformer', got {self.type!r}")
        if self.type == "transformer":
            _require(self.hidden_channels % self.n_heads == 0, "flow hidden_channels must be divisible by n_heads")
            _require(0.0 <= self.dropout < 1.0, "flow dropout must be in [0, 1)")
            _require(
                self.speaker_condition_layer is None or 0 <= self.speaker_condition_layer < self.n_layers,
                f"flow speaker_condition_layer must be None or in [0, n_layers), got {self.speaker_condition_layer}",
            )


@dataclass(frozen=True)
class PosteriorEncoderConfig:
    """WaveNet-style encoder from the mel spectrogram to the latent."""

    hidden_channels: int = 192
    kernel_size: int = 5
    dilation_rate: int = 1
    n_layers: int = 16

    def __post_init__(self) -> None:
        _require(self.kernel_size % 2 == 1, "posterior kernel_size must be odd")


@dataclass(frozen=True)
class ReferenceEncoderConfig:
    """Reference clip -> timbre vector in the speaker table's space (zero-shot voices). Off by default:
    a voice without one has no such weights, and its fingerprint does not mention it."""

    enabled: bool = False
    hidden_channels: int = 128
    kernel_size: int = 5
    n_layers: int = 4
    # Random crops of this many frames train it, so short references work (0.12 s frames at hop 256).
    crop_frames: tuple[int, int] = (40, 200)

    def __post_init__(self) -> None:
        _require(self.kernel_size % 2 == 1, "reference_encoder kernel_size must be odd")
        _require(self.n_layers >= 1, "reference_encoder n_layers must be >= 1")
        _require(0 < self.crop_frames[0] <= self.crop_frames[1], "reference_encoder crop_frames must be (min, max) with 0 < min <= max")


@dataclass(frozen=True)
class StyleConfig:
    """A style (prosody) vector beside the speaker vector: how something is said, apart from who says it.

    Training encodes it from each target utterance's log-mel (no labels needed); where the manifest gives a
    ``style`` label, that label's row of a table is used and the encoder learns to land on it. It conditions
    what carries prosody: the text encoder and its prior, the duration predictors and the flow. Off by
    default: a voice without it has no such weights, and its fingerprint does not mention it."""

    enabled: bool = False
    style_channels: int = 16
    hidden_channels: int = 64
    kernel_size: int = 5
    n_layers: int = 3
    # The manifest's ``style`` values, in first-seen order (filled from the data when training starts);
    # empty: no label table, styles come from clips only.
    labels: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _require(self.style_channels >= 1 and self.hidden_channels >= 1, "style style_channels and hidden_channels must be >= 1")
        _require(self.kernel_size % 2 == 1, "style kernel_size must be odd")
        _require(self.n_layers >= 1, "style n_layers must be >= 1")
        _require(
            all(isinstance(label, str) and label for label in self.labels), f"style labels must be non-empty strings, got {self.labels}"
        )
        _require(len(set(self.labels)) == len(self.labels), f"duplicate style labels in {self.labels}")


@dataclass(frozen=True)
class StyleSamplerConfig:
    """A small flow-matching model over the style component's vectors, conditioned on the text (the text encoder's
    hidden states, pooled) and the speaker vector: ``--style sample`` draws a style that fits the sentence without
    a reference or a label. It trains with the voice on the styles the style encoder gives, detached, so it changes
    nothing else. Off by default: a voice without it has no such weights, and its fingerprint does not mention it."""

    enabled: bool = False
    hidden_channels: int = 64
    n_layers: int = 3
    # Sinusoids of the flow time (pairs of sin and cos) the velocity network reads.
    time_channels: int = 16
    # Fraction of training items whose condition is replaced by the learned "no condition", so one network gives
    # both velocities that classifier-free guidance (``--style-scale``) mixes.
    condition_dropout: float = 0.1
    # How the sampler reads its condition. "standardized": each channel centred and scaled by running statistics of
    # the conditions it trained on (kept with its weights), so the sentence is not swamped: the pooled text states
    # vary ~0.01 per channel around a near-constant mean beside a speaker vector that varies ~0.5. "raw": as voices
    # made before the field were trained (their weights expect it), hence the default.
    condition_normalization: Literal["raw", "standardized"] = "raw"

    def __post_init__(self) -> None:
        _require(
            self.condition_normalization in ("raw", "standardized"),
            f"style_sampler condition_normalization must be 'raw' or 'standardized', got {self.condition_normalization!r}",
        )
        _require(self.hidden_channels >= 1 and self.n_layers >= 1, "style_sampler hidden_channels and n_layers must be >= 1")
        _require(self.time_channels >= 2 and self.time_channels % 2 == 0, "style_sampler time_channels must be even and >= 2")
        _require(0 <= self.condition_dropout < 1, f"style_sampler condition_dropout must be in [0, 1), got {self.condition_dropout}")


@dataclass(frozen=True)
class TextFeaturesConfig:
    """Per-token features of the sentence from a local BERT-family model (MeloTTS's BERT), added to the text
    encoder's input through a projection that starts at zero. The model is named by its folder's name, its hidden
    size and a sha256 of its weight files, all three in the voice's fingerprint: synthesis is refused unless the
    folder it is given has the same three. Off by default: a voice without it has no such weights, and its
    fingerprint reads ``none``. ``polyvox train --text-features FOLDER`` fills the section from the folder."""

    enabled: bool = False
    name: str = ""
    dim: int = 0
    weights_sha256: str = ""
    # Which hidden layer is read (Python index into the model's hidden states: -1 the last, -2 the one before).
    layer: int = -1
    # Where training read the model. Not fingerprinted and not used to speak: synthesis takes the folder it is given.
    folder: str = ""

    def __post_init__(self) -> None:
        if not self.enabled:
            return
        _require(bool(self.name), "model.text_features.name must name the model (its folder's name)")
        _require(self.dim >= 1, f"model.text_features.dim must be the model's hidden size (>= 1), got {self.dim}")
        _require(
            len(self.weights_sha256) == 64 and all(c in "0123456789abcdef" for c in self.weights_sha256),
            "model.text_features.weights_sha256 must be a sha256 (64 hex digits); set the section with --text-features FOLDER",
        )


@dataclass(frozen=True)
class FramePriorConfig:
    """A frame-level prior (VISinger's and Period VITS's frame prior network): convolutions over the frames of the
    text's hidden states, expanded along the alignment, refine the prior's means and log-scales frame by frame, so the
    latent text-to-speech hands the flow and decoder can move within a phoneme (a tone's contour, a glide) as the
    posterior's does; the token-level prior alone is one value a phoneme. Its output layer starts at zero: a voice
    given one (``polyvox finetune --set model.frame_prior.enabled=true``) speaks as before until it trains. The
    alignment search still reads the token-level prior. Off by default: a voice without it has no such weights, and
    its fingerprint does not mention it."""

    enabled: bool = False
    hidden_channels: int = 128
    kernel_size: int = 5
    n_layers: int = 4

    def __post_init__(self) -> None:
        _require(self.hidden_channels >= 1 and self.n_layers >= 1, "frame_prior hidden_channels and n_layers must be >= 1")
        _require(self.kernel_size % 2 == 1, "frame_prior kernel_size must be odd")


def phase_advance_cycle(n_fft: int, hop: int) -> int:
    """Inverse-STFT frames after which every bin's phase advance (2 pi k hop / n_fft a frame) is a whole turn."""
    return n_fft // math.gcd(n_fft, hop)


@dataclass(frozen=True)
class DecoderConfig:
    """Waveform decoder. ``hifigan`` up-samples to the sample rate; ``istft`` stops early and
    predicts magnitude and phase for an inverse STFT (iSTFTNet / MB-iSTFT-VITS)."""

    type: str = "hifigan"  # a name in models/decoder_registry.py
    initial_channels: int = 512
    upsample_rates: tuple[int, ...] = (8, 8, 2, 2)
    upsample_kernel_sizes: tuple[int, ...] = (16, 16, 4, 4)
    resblock_kernel_sizes: tuple[int, ...] = (3, 7, 11)
    resblock_dilations: tuple[tuple[int, ...], ...] = ((1, 3, 5), (1, 3, 5), (1, 3, 5))
    # iSTFT head only: FFT size and hop of the inverse STFT at the end of the decoder.
    istft_n_fft: int = 16
    istft_hop: int = 4
    # iSTFT head only: sub-bands joined by a pseudo-QMF synthesis (MB-iSTFTNet); 1 is a full-band iSTFT.
    # Four bands let the body stop at a quarter of the rate: a third of the convolution work.
    subbands: int = 1
    # HiFi-GAN residual block: "1" (a dilated and a plain conv per dilation) or "2" (one dilated conv per dilation).
    resblock_type: Literal["1", "2"] = "1"
    # Slope of the leaky ReLU before conv_post; VITS, Piper and MeloTTS use PyTorch's default 0.01 there.
    output_leaky_relu_slope: float = 0.1
    # A harmonic source (models/decoders/harmonic_source.py): a head reads F0 and voicing from the latent, and sines
    # at that F0 join every up-sampling stage, so voiced speech gets harmonics that follow the pitch. Trains on the
    # recordings' F0 (training.pitch_loss_weight). ``harmonics``: sines summed; ``pitch_channels``: the head's width.
    harmonic_source: bool = False
    harmonics: int = 8
    pitch_channels: int = 128
    # Up-sampling kernels whose phases sum alike (models/decoders/balanced_upsampling.py): a steady latent cannot come
    # out as a tone at the frame rate, the comb an unbalanced decoder has to learn away.
    balanced_upsampling: bool = False
    # iSTFT head only: each bin's phase turns by its own frequency from frame to frame (2 pi k hop / n_fft) under the
    # predicted phase, so a steady prediction is a steady tone; without it a steady prediction repeats every hop, the
    # line at the inverse STFT's frame rate (1378 Hz for the four-band decoder) a decoder has to learn away.
    istft_phase_advance: bool = False

    def __post_init__(self) -> None:
        _require(self.type in DECODER_ENTRIES, f"decoder type must be {' or '.join(map(repr, DECODER_ENTRIES))}, got {self.type!r}")
        _require(self.resblock_type in ("1", "2"), f"decoder resblock_type must be '1' or '2', got {self.resblock_type!r}")
        _require(
            len(self.upsample_rates) == len(self.upsample_kernel_sizes),
            f"upsample_rates {self.upsample_rates} and upsample_kernel_sizes {self.upsample_kernel_sizes} "
            "must have the same length",
        )
        _require(
            len(self.resblock_kernel_sizes) == len(self.resblock_dilations),
            "resblock_kernel_sizes and resblock_dilations must have the same length",
        )
        for rate, kernel in zip(self.upsample_rates, self.upsample_kernel_sizes):
            _require(kernel >= rate, f"upsample kernel {kernel} must be >= its rate {rate}")
        _require(
            self.initial_channels // 2 ** len(self.upsample_rates) >= 1,
            "initial_channels too small for the number of up-sampling stages (channels halve each stage)",
        )
        if self.inverse_stft_head:
            _require(self.istft_hop <= self.istft_n_fft, "istft_hop must be <= istft_n_fft")
        if self.istft_phase_advance:
            _require(self.inverse_stft_head, f"istft_phase_advance needs a decoder ending in an inverse STFT, not {self.type!r}")
            # Every latent frame must start at the same point of the advance's cycle, or a window decoded on its own
            # (streaming, ONNX) would start its phases elsewhere than the whole sentence does there.
            cycle = phase_advance_cycle(self.istft_n_fft, self.istft_hop)
            _require(
                math.prod(self.upsample_rates) % cycle == 0,
                f"istft_phase_advance needs the up-sampling rates' product ({math.prod(self.upsample_rates)}) to be a "
                f"multiple of {cycle}, the frames after which istft_n_fft={self.istft_n_fft}, istft_hop={self.istft_hop} "
                "turn every bin whole",
            )
        _require(self.harmonics >= 1 and self.pitch_channels >= 1, "decoder harmonics and pitch_channels must be >= 1")
        _require(self.subbands in (1, 4), f"decoder subbands must be 1 or 4 (the pseudo-QMF designs), got {self.subbands}")
        _require(
            self.subbands == 1 or self.inverse_stft_head,
            f"decoder subbands > 1 needs type {' or '.join(map(repr, names_with_inverse_stft_head()))}",
        )

    @property
    def inverse_stft_head(self) -> bool:
        """The decoder ends in an inverse STFT, whose hop and sub-bands up-sample too."""
        return DECODER_ENTRIES[self.type].inverse_stft_head

    @property
    def total_upsampling(self) -> int:
        """Samples per latent frame produced by the whole decoder (must equal the hop length)."""
        product = math.prod(self.upsample_rates)
        return product * self.istft_hop * self.subbands if self.inverse_stft_head else product


@dataclass(frozen=True)
class DiscriminatorConfig:
    """Multi-period and multi-scale discriminators; widths are configurable so a tiny model is cheap."""

    periods: tuple[int, ...] = (2, 3, 5, 7, 11)
    period_channels: tuple[int, ...] = (32, 128, 512, 1024, 1024)
    n_scales: int = 1
    scale_channels: tuple[int, ...] = (16, 64, 256, 1024, 1024, 1024)
    scale_groups: tuple[int, ...] = (1, 4, 16, 64, 256)

    def __post_init__(self) -> None:
        _require(len(self.periods) > 0 or self.n_scales > 0, "need at least one discriminator")
        _require(len(self.period_channels) >= 2, "period_channels needs at least two entries")
        _require(len(self.scale_channels) == len(self.scale_groups) + 1, "scale_channels must be one longer than scale_groups")
        for channels_in, channels_out, groups in zip(self.scale_channels, self.scale_channels[1:], self.scale_groups):
            _require(
                channels_in % groups == 0 and channels_out % groups == 0,
                f"scale discriminator groups {groups} must divide channels {channels_in} and {channels_out}",
            )


@dataclass(frozen=True)
class ModelConfig:
    """The generator: every component plus the shared latent and conditioning sizes."""

    inter_channels: int = 192
    speaker_channels: int = 256
    n_speakers: int = 1
    text_encoder: TextEncoderConfig = field(default_factory=TextEncoderConfig)
    duration: DurationConfig = field(default_factory=DurationConfig)
    flow: FlowConfig = field(default_factory=FlowConfig)
    posterior: PosteriorEncoderConfig = field(default_factory=PosteriorEncoderConfig)
    decoder: DecoderConfig = field(default_factory=DecoderConfig)
    discriminator: DiscriminatorConfig = field(default_factory=DiscriminatorConfig)
    reference_encoder: ReferenceEncoderConfig = field(default_factory=ReferenceEncoderConfig)
    style: StyleConfig = field(default_factory=StyleConfig)
    style_sampler: StyleSamplerConfig = field(default_factory=StyleSamplerConfig)
    text_features: TextFeaturesConfig = field(default_factory=TextFeaturesConfig)
    frame_prior: FramePriorConfig = field(default_factory=FramePriorConfig)

    def __post_init__(self) -> None:
        _require(self.n_speakers >= 1, "n_speakers must be >= 1")
        _require(
            self.style.enabled or not self.style_sampler.enabled,
            "model.style_sampler samples the style component's vectors: enable model.style too, or turn the sampler off",
        )
        _require(self.inter_channels % 2 == 0, "inter_channels must be even (the flow splits it in halves)")


@dataclass(frozen=True)
class TrainingConfig:
    """Optimisation and schedule. Loss weights follow VITS."""

    batch_size: int = 16
    learning_rate: float = 2e-4
    adam_betas: tuple[float, float] = (0.8, 0.99)
    adam_eps: float = 1e-9
    # Exponential learning-rate decay applied after every optimizer step (0.99999 halves it in ~70k steps).
    lr_decay_per_step: float = 0.99999
    # Steps over which the learning rate rises linearly from 1/warmup_steps of its value to all of it (0: none). A run
    # whose optimizer starts empty (every fine-tune) otherwise takes full-size Adam steps in every weight at once.
    warmup_steps: int = 0
    max_steps: int = 100_000
    # Waveform segment the decoder is trained on, in latent frames (random slice per item).
    segment_frames: int = 32
    mel_loss_weight: float = 45.0
    kl_loss_weight: float = 1.0
    feature_loss_weight: float = 2.0
    duration_loss_weight: float = 1.0
    # Reference encoder (when the model has one): distance of a clip's timbre vector to its speaker's row.
    reference_loss_weight: float = 1.0
    # Style (when the model has it): distance of a labelled clip's encoded style to its label's row.
    style_label_loss_weight: float = 1.0
    # The neutral style (style strength 0) is a running mean of the styles training used, moved this much per step.
    style_neutral_momentum: float = 0.99
    # Style sampler (when the model has one): its flow-matching loss on the detached styles, added to the generator's.
    style_sampler_loss_weight: float = 1.0
    # The sampler's own learning rate (None: learning_rate). It learns a small map from inputs that the voice's steps
    # move under it, with its gradients clipped with the whole generator's, so the voice's rate can leave it unfitted.
    style_sampler_learning_rate: float | None = None
    # When a run ends, its voice's sampler is trained alone this many steps on the finished voice's conditions and
    # styles of the training clips (train/style_sampler_fit.py): the steps above leave it unfitted. 0: not fitted.
    style_sampler_fit_steps: int = 2000
    style_sampler_fit_learning_rate: float = 1e-3
    # Steps trained on reconstruction losses only before the discriminator joins.
    discriminator_start_step: int = 0
    # Use phoneme durations from the manifest (e.g. the generated corpus) instead of alignment search.
    use_manifest_durations: bool = True
    grad_clip_norm: float = 100.0
    log_every_steps: int = 50
    checkpoint_every_steps: int = 500
    keep_checkpoints: int = 3
    audio_samples_every_steps: int = 500
    seed: int = 1234
    num_workers: int = 0
    # Processes computing the feature cache before training (1: this process); each uses one thread.
    feature_workers: int = 1
    # Where and how many processes train (Lightning), used where `train --accelerator/--devices/--nodes/--strategy`
    # are not given: devices per machine (or "auto"), machines, and "auto", "ddp" or "fsdp" (parameters sharded).
    accelerator: Literal["cpu", "gpu", "auto"] = "cpu"
    devices: int | Literal["auto"] = 1
    nodes: int = 1
    strategy: Literal["auto", "ddp", "fsdp"] = "auto"
    # Length buckets: items of similar length share a batch so little padding is computed.
    bucket_boundaries_s: tuple[float, ...] = (1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0)
    # Clips shorter than the model's minimum input (or, without known durations, than their number of
    # non-blank tokens, which alignment needs at least one frame each for): padded with silence or dropped.
    short_clip_policy: Literal["pad", "drop"] = "pad"
    # Non-finite guard: after this many consecutive skipped steps the run goes back to the newest good
    # checkpoint with its learning rates multiplied by rollback_lr_factor (once; again right after: it stops).
    max_consecutive_bad_steps: int = 20
    rollback_lr_factor: float = 0.5
    # Bad data, skipped and listed in RUN/data_report.json: clips whose RMS (of samples in [-1, 1]) is below
    # this are silent; clips of at least phoneme_rate_min_clip_s seconds must speak between the two rates
    # (non-silent phonemes per second), or their transcript does not match the audio. Shorter clips are
    # left to short_clip_policy.
    silence_rms_threshold: float = 1e-4
    # Clips longer than this (by their header, before they are read) are skipped: an hour-long file is not an
    # utterance, and reading it whole costs gigabytes. polyvox prepare cuts long recordings into clips.
    max_clip_s: float = 60.0
    min_phonemes_per_second: float = 2.0
    max_phonemes_per_second: float = 40.0
    phoneme_rate_min_clip_s: float = 0.5
    # Batches: "bucket" (length buckets) or "language_balanced" (length buckets, each batch mixing languages
    # drawn with p_l proportional to n_l ** (1 / language_temperature), n_l the language's training clips:
    # 1 follows the data, large values approach uniform).
    batch_sampler: Literal["bucket", "language_balanced"] = "bucket"
    language_temperature: float = 3.0
    # Per-language validation: a language whose validation mel loss is more than this fraction above
    # its value at the start of the run is reported as being forgotten (log and progress bar).
    forgetting_margin: float = 0.1
    # "bf16-mixed": convolutions and matrix products in bfloat16 (Lightning's autocast), weights, optimizer,
    # losses, alignment and duration predictors in float32 (models/full_precision.py). Fast only on CPUs
    # (and GPUs) with native bfloat16 (benchmarks/training_speed.py). "auto": bf16-mixed when training on a
    # CPU with native bfloat16, where a voice trained so matched float32 (benchmarks/precision_quality.py),
    # float32 ("32") everywhere else, GPUs included.
    precision: Literal["auto", "32", "bf16-mixed"] = "auto"
    # Upper edge of the mel spectrogram the reconstruction loss compares (None: half the sample rate, all
    # the decoder makes, as HiFi-GAN's fmax_for_loss). The model's own mel stops at audio.mel_fmax (8 kHz):
    # a loss on that alone leaves the top of the spectrum untrained until the discriminators join.
    loss_mel_fmax: float | None = None
    # Multi-resolution STFT loss on the generated segment (train/stft_loss.py), beside the mel loss: linear
    # frequency shows the frame-rate comb a decoder can leave, which 80 mel bands blur. 0 turns it off.
    # Resolutions are (n_fft, hop, window) in samples; hops that do not divide the frame hop.
    stft_loss_weight: float = 0.0
    stft_loss_resolutions: tuple[tuple[int, int, int], ...] = ((512, 50, 240), (1024, 120, 600), (2048, 240, 1200))
    # Frame-rate comb loss (train/comb_loss.py): the generated segment's periodicity at one hop, beyond the target's.
    # Needs a segment of at least 8 frames. 0 turns it off.
    comb_loss_weight: float = 0.0
    # Decoders with a harmonic source: L1 of the head's log-F0 on the recordings' voiced frames plus the voicing's
    # binary cross-entropy (the F0 of each decoded segment, polyvox.audio.frame_pitch).
    pitch_loss_weight: float = 2.0
    # The harmonic source's own learning rate (None: learning_rate). Its stage convolutions start at zero, and a
    # fine-tune's rate (1e-4) moves them too slowly for the voice to hear the source within a session's steps.
    harmonic_source_learning_rate: float | None = None
    # The frame prior's own learning rate (None: learning_rate). Its output starts at zero; at the listener recipe's
    # rate (1e-4, warmed up) its output weights averaged 0.0009 after 750 steps.
    frame_prior_learning_rate: float | None = None
    # The synthesis loss (train/synthesis_loss.py): the mel of the prior's means decoded through the flow and the
    # decoder, against the target's, beside the KL term. It teaches the text side by what is heard where the
    # posterior's latents are not the decoder's own (a fine-tuned imported voice). 0 turns it off.
    synthesis_loss_weight: float = 0.0
    # Fine-tuning only (train/source_prior.py): the KL from the source voice's text prior (a frozen copy of its text
    # encoder) to the one training, on the tokens of source_prior_languages (empty: every language the source
    # speaks), so learning new languages or speakers does not move how the old languages read. 0 turns it off.
    source_prior_weight: float = 0.0
    source_prior_languages: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _require(self.stft_loss_weight >= 0, "stft_loss_weight must be >= 0 (0 turns the STFT loss off)")
        _require(self.comb_loss_weight >= 0, "comb_loss_weight must be >= 0 (0 turns the comb loss off)")
        _require(
            self.comb_loss_weight == 0 or self.segment_frames >= 8,
            f"comb_loss_weight needs training.segment_frames of at least 8 (one analysis frame), got {self.segment_frames}",
        )
        _require(self.synthesis_loss_weight >= 0, "synthesis_loss_weight must be >= 0 (0 turns the synthesis loss off)")
        _require(self.style_sampler_loss_weight >= 0, "style_sampler_loss_weight must be >= 0")
        _require(self.warmup_steps >= 0, f"warmup_steps must be >= 0 (0: no warm-up), got {self.warmup_steps}")
        _require(self.style_sampler_fit_steps >= 0, "style_sampler_fit_steps must be >= 0 (0: the sampler is not fitted at the end)")
        _require(self.style_sampler_fit_learning_rate > 0, "style_sampler_fit_learning_rate must be > 0")
        _require(
            self.style_sampler_learning_rate is None or self.style_sampler_learning_rate > 0,
            f"style_sampler_learning_rate must be positive (or null: learning_rate), got {self.style_sampler_learning_rate}",
        )
        _require(
            self.harmonic_source_learning_rate is None or self.harmonic_source_learning_rate > 0,
            f"harmonic_source_learning_rate must be positive (or null: learning_rate), got {self.harmonic_source_learning_rate}",
        )
        _require(
            self.frame_prior_learning_rate is None or self.frame_prior_learning_rate > 0,
            f"frame_prior_learning_rate must be positive (or null: learning_rate), got {self.frame_prior_learning_rate}",
        )
        _require(self.source_prior_weight >= 0, "source_prior_weight must be >= 0 (0 turns the source prior term off)")
        _require(0 <= self.style_neutral_momentum < 1, f"style_neutral_momentum must be in [0, 1), got {self.style_neutral_momentum}")
        resolutions = self.stft_loss_resolutions
        _require(
            isinstance(resolutions, tuple)
            and len(resolutions) >= 1
            and all(isinstance(r, tuple) and len(r) == 3 and all(isinstance(v, int) for v in r) for r in resolutions),
            f"stft_loss_resolutions needs at least one (n_fft, hop, window) of three whole numbers, e.g. "
            f"[[1024, 120, 600]]; got {resolutions!r}",
        )
        for n_fft, hop, window in resolutions:
            _require(
                0 < hop <= window <= n_fft,
                f"each STFT loss resolution (n_fft, hop, window) needs 0 < hop <= window <= n_fft, got {(n_fft, hop, window)}",
            )
        _require(
            self.precision in ("auto", "32", "bf16-mixed"),
            f"training precision must be 'auto', '32' or 'bf16-mixed', got {self.precision!r}",
        )
        _require(
            self.batch_sampler in ("bucket", "language_balanced"),
            f"batch_sampler must be 'bucket' or 'language_balanced', got {self.batch_sampler!r}",
        )
        _require(self.language_temperature > 0, "language_temperature must be positive (1 = proportional, large = uniform)")
        _require(self.forgetting_margin >= 0, "forgetting_margin must be >= 0 (a fraction, e.g. 0.1 for 10 %)")
        _require(self.max_consecutive_bad_steps >= 1, "max_consecutive_bad_steps must be >= 1")
        _require(0 < self.rollback_lr_factor <= 1, "rollback_lr_factor must be in (0, 1]")
        _require(
            0 <= self.min_phonemes_per_second < self.max_phonemes_per_second,
            "min_phonemes_per_second must be >= 0 and below max_phonemes_per_second",
        )
        _require(self.short_clip_policy in ("pad", "drop"), f"short_clip_policy must be 'pad' or 'drop', got {self.short_clip_policy!r}")
        _require(self.max_clip_s > 0, "max_clip_s must be positive")
        _require(self.batch_size >= 1, "batch_size must be >= 1")
        _require(self.feature_workers >= 1, "feature_workers must be >= 1 (processes computing the feature cache)")
        _require(self.devices == "auto" or self.devices >= 1, f"devices must be >= 1 or 'auto', got {self.devices!r}")
        _require(self.nodes >= 1, f"nodes must be >= 1, got {self.nodes}")
        _require(self.learning_rate > 0, "learning_rate must be positive")
        _require(self.segment_frames >= 1, "segment_frames must be >= 1")
        _require(self.keep_checkpoints >= 1, "keep_checkpoints must be >= 1")


@dataclass(frozen=True)
class VoiceConfig:
    """Everything needed to rebuild a voice: stored whole inside every voice file."""

    audio: AudioConfig = field(default_factory=AudioConfig)
    text: TextConfig = field(default_factory=TextConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)

    def __post_init__(self) -> None:
        _require(
            self.model.decoder.total_upsampling == self.audio.hop_length,
            f"the decoder up-samples by {self.model.decoder.total_upsampling} "
            f"(upsample_rates {self.model.decoder.upsample_rates}"
            + (f" x istft_hop {self.model.decoder.istft_hop}" if self.model.decoder.inverse_stft_head else "")
            + (f" x subbands {self.model.decoder.subbands}" if self.model.decoder.subbands > 1 else "")
            + f") but hop_length is {self.audio.hop_length}; they must be equal",
        )
        fmax = self.training.loss_mel_fmax
        _require(
            fmax is None or self.audio.mel_fmin < fmax <= self.audio.sample_rate / 2,
            f"training.loss_mel_fmax must be above audio.mel_fmin and at most half the sample rate "
            f"({self.audio.sample_rate / 2}), got {fmax}",
        )
        if self.training.stft_loss_weight > 0:
            segment = self.training.segment_frames * self.audio.hop_length
            longest = max(n_fft for n_fft, _, _ in self.training.stft_loss_resolutions)
            _require(
                longest // 2 < segment,
                f"the STFT loss's largest n_fft ({longest}) needs a training segment longer than {longest // 2} samples; "
                f"training.segment_frames * hop_length is {segment}: raise segment_frames or use smaller resolutions",
            )

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VoiceConfig:
        return _build(cls, data, path="")

    @classmethod
    def from_json(cls, text: str) -> VoiceConfig:
        return cls.from_dict(json.loads(text))

    def replace(self, **overrides: Any) -> VoiceConfig:
        """Copy with dotted-path overrides, e.g. ``replace(**{"training.batch_size": 8})``."""
        data = self.to_dict()
        for dotted, value in overrides.items():
            set_dotted(data, dotted, value)
        return VoiceConfig.from_dict(data)


def set_dotted(data: dict[str, Any], dotted: str, value: Any) -> None:
    """Set ``data["a"]["b"] = value`` for ``dotted == "a.b"``, refusing keys that do not exist."""
    keys = dotted.split(".")
    node = data
    for depth, key in enumerate(keys):
        if not isinstance(node, dict) or key not in node:
            known = ", ".join(sorted(node)) if isinstance(node, dict) else "(not a section)"
            raise ConfigError(f"unknown config key {'.'.join(keys[: depth + 1])!r}; known here: {known}")
        if depth == len(keys) - 1:
            node[key] = value
        else:
            node = node[key]


def _build(cls: type, data: dict[str, Any], path: str) -> Any:
    if not isinstance(data, dict):
        raise ConfigError(f"config section {path or '(root)'} must be a mapping, got {type(data).__name__}")
    hints = get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"unknown config key(s) in {path or '(root)'}: {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    kwargs = {}
    for name, value in data.items():
        hint = hints[name]
        if is_dataclass(hint):
            kwargs[name] = _build(hint, value, f"{path}.{name}" if path else name)
        else:
            value = coerce_literal(value, hint)
            problem = type_problem(value, hint)
            if problem is not None:
                dotted = f"{path}.{name}" if path else name
                raise ConfigError(f"config field {dotted} must be {problem}, got {value!r} ({type(value).__name__})")
            kwargs[name] = _freeze(value)
    return cls(**kwargs)


def _freeze(value: Any) -> Any:
    """JSON lists become tuples so configs stay hashable and immutable."""
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


# A quarter of HiFi-GAN's discriminator widths, for the small and medium generators: the full multi-period
# discriminator alone costs seconds per CPU training step, this one a fraction of it (benchmarks/training_speed.py).
QUARTER_WIDTH_DISCRIMINATORS = DiscriminatorConfig(
    periods=(2, 3, 5, 7, 11),
    period_channels=(8, 32, 128, 256, 256),
    n_scales=1,
    scale_channels=(16, 32, 64, 128, 256, 256),
    scale_groups=(1, 4, 16, 32, 64),
)


# The small preset's decoder. Four sub-bands (MB-iSTFTNet): the body up-samples by 16 instead of 64,
# a third of the work of a full-band iSTFT decoder of the same width (benchmarks/inference_speed.py).
FOUR_BAND_DECODER = DecoderConfig(
    type="istft",
    initial_channels=256,
    upsample_rates=(4, 4),
    upsample_kernel_sizes=(8, 8),
    resblock_kernel_sizes=(3, 7),
    resblock_dilations=((1, 3, 5), (1, 3, 5)),
    istft_n_fft=16,
    istft_hop=4,
    subbands=4,
)


# The small and medium presets' schedule: reconstruction first, and the multi-resolution STFT loss,
# which takes the four-band decoder's frame-rate comb down faster than the mel loss alone (docs/training.md).
FOUR_BAND_TRAINING = TrainingConfig(discriminator_start_step=2000, stft_loss_weight=15.0)


def preset(name: str, languages: tuple[str, ...] = ("en",), n_speakers: int = 1) -> VoiceConfig:
    """Named model sizes: ``tiny`` (tests, trains in milliseconds), ``small`` (~6M parameters,
    the default voice) and ``medium`` (~29M, of which 20.5M speak: the posterior encoder only trains)."""
    text = TextConfig(languages=tuple(languages))
    if name == "tiny":
        model = ModelConfig(
            inter_channels=8,
            speaker_channels=8,
            n_speakers=n_speakers,
            text_encoder=TextEncoderConfig(
                hidden_channels=16, filter_channels=32, n_heads=2, n_layers=2, language_channels=4, prosody_embeddings=True
            ),
            duration=DurationConfig(filter_channels=16, stochastic_filter_channels=16, stochastic_flows=2),
            flow=FlowConfig(n_flows=2, hidden_channels=16, n_layers=2),
            posterior=PosteriorEncoderConfig(hidden_channels=16, n_layers=2),
            decoder=DecoderConfig(
                initial_channels=32,
                upsample_rates=(8, 8, 4),
                upsample_kernel_sizes=(16, 16, 8),
                resblock_kernel_sizes=(3,),
                resblock_dilations=((1, 3),),
            ),
            discriminator=DiscriminatorConfig(
                periods=(2, 3),
                period_channels=(4, 8, 16),
                n_scales=1,
                scale_channels=(4, 8, 16),
                scale_groups=(1, 4),
            ),
        )
        training = TrainingConfig(batch_size=4, segment_frames=16, log_every_steps=1, checkpoint_every_steps=10)
        return VoiceConfig(text=text, model=model, training=training)
    if name == "small":
        model = ModelConfig(
            inter_channels=96,
            speaker_channels=96,
            n_speakers=n_speakers,
            text_encoder=TextEncoderConfig(hidden_channels=96, filter_channels=384, n_heads=2, n_layers=4, prosody_embeddings=True),
            duration=DurationConfig(filter_channels=128, stochastic_filter_channels=96),
            flow=FlowConfig(n_flows=4, hidden_channels=96, n_layers=4),
            posterior=PosteriorEncoderConfig(hidden_channels=96, n_layers=8),
            decoder=FOUR_BAND_DECODER,
            discriminator=QUARTER_WIDTH_DISCRIMINATORS,
        )
        return VoiceConfig(text=text, model=model, training=FOUR_BAND_TRAINING)
    if name == "medium":
        model = ModelConfig(
            inter_channels=192,
            speaker_channels=192,
            n_speakers=n_speakers,
            text_encoder=TextEncoderConfig(hidden_channels=192, filter_channels=768, n_layers=6, prosody_embeddings=True),
            flow=FlowConfig(hidden_channels=192),
            posterior=PosteriorEncoderConfig(hidden_channels=192, n_layers=16),
            # The small decoder's layout, 1.5x wider: each extra kernel size adds a full set of residual blocks
            # at every up-sampled rate, and two keep the preset within its RTF aim (benchmarks/inference_speed.py).
            decoder=dataclasses.replace(FOUR_BAND_DECODER, initial_channels=384),
            # The small preset's quarter-width discriminators (benchmarks/training_speed.py profiles them).
            discriminator=QUARTER_WIDTH_DISCRIMINATORS,
        )
        return VoiceConfig(text=text, model=model, training=FOUR_BAND_TRAINING)
    raise ConfigError(f"unknown preset {name!r}; choose tiny, small or medium")


PRESETS = ("tiny", "small", "medium")
