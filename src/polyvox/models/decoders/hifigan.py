"""HiFi-GAN generator: transposed convolutions up-sample the latent to the waveform."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.nn.utils import parametrize
from torch.nn.utils.parametrizations import weight_norm

from polyvox.config import DecoderConfig
from polyvox.models.conv_geometry import Reach, back_through_transposed, conv_reach, half_padded, minimum_input_length
from polyvox.models.decoders.balanced_upsampling import BalancedPolyphase
from polyvox.models.decoders.harmonic_source import HEAD_REACH, HarmonicSource, f0_from_head
from polyvox.models.decoders.layout import apply_conv, from_time_2d, to_time_2d
from polyvox.models.decoders.resblock import CONV_INIT_STD, LEAKY_RELU_SLOPE, RESIDUAL_BLOCKS, build_residual_block

# Kernel of the first and last convolutions of the decoders (HiFi-GAN's fixed value, not in DecoderConfig).
PRE_KERNEL_SIZE = 7
POST_KERNEL_SIZE = 7


class UpsamplingDecoder(nn.Module):
    """Body shared by both decoders: ``conv_pre``, speaker ``cond``, then per (rate, kernel) a transposed
    convolution that halves the channels followed by the mean of one residual block per kernel size.

    Submodule names (``conv_pre``, ``cond``, ``ups``, flat ``resblocks``, ``conv_post``) follow VITS so
    checkpoint importers map keys one to one. Subclasses add ``conv_post`` and the output head.
    """

    def __init__(self, config: DecoderConfig, in_channels: int, speaker_channels: int) -> None:
        super().__init__()
        self.config = config
        self.speaker_channels = speaker_channels
        self.n_kernels = len(config.resblock_kernel_sizes)
        self.conv_pre = weight_norm(
            nn.Conv1d(in_channels, config.initial_channels, PRE_KERNEL_SIZE, padding=PRE_KERNEL_SIZE // 2)
        )
        self.cond = nn.Conv1d(speaker_channels, config.initial_channels, 1) if speaker_channels > 0 else None
        self.ups = nn.ModuleList()
        self.resblocks = nn.ModuleList()
        # A kernel-minus-rate that is odd leaves one sample too many; it is cut from the end.
        self.upsample_excess: list[int] = []
        channels = config.initial_channels
        for rate, kernel in zip(config.upsample_rates, config.upsample_kernel_sizes):
            upsample = nn.ConvTranspose1d(channels, channels // 2, kernel, stride=rate, padding=(kernel - rate) // 2)
            nn.init.normal_(upsample.weight, mean=0.0, std=CONV_INIT_STD)
            upsample = weight_norm(upsample)
            if config.balanced_upsampling:
                parametrize.register_parametrization(upsample, "weight", BalancedPolyphase(rate, kernel))
            self.ups.append(upsample)
            self.upsample_excess.append((kernel - rate) % 2)
            channels //= 2
            for kernel_size, dilations in zip(config.resblock_kernel_sizes, config.resblock_dilations):
                self.resblocks.append(build_residual_block(config.resblock_type, channels, kernel_size, dilations))
        self.out_channels = channels
        self.upsampling = math.prod(config.upsample_rates)
        self.harmonic_source = HarmonicSource(config, in_channels, speaker_channels) if config.harmonic_source else None
        # Up-sampled stages run in the channels-last 2-D layout (layout.py: same weights, faster on CPUs).
        self.time_as_2d = True
        # Synthesis may run the convolutions in bfloat16 (inference/speed.py set_decoder_precision);
        # None (training, export) keeps every operation in float32.
        self.compute_dtype: torch.dtype | None = None

    @classmethod
    def reach(cls, config: DecoderConfig) -> Reach:
        """Latent frames an output sample reads (streaming's context): the head, then the body walked back; with a
        harmonic source, the F0 head's frames on top (its phase before is carried, not read: streaming.py)."""
        reach = cls.body_reach(config, cls.head_reach(config))
        return reach + Reach(HEAD_REACH, HEAD_REACH) if config.harmonic_source else reach

    @staticmethod
    def head_reach(config: DecoderConfig) -> Reach:
        """What comes after ``conv_post``, in output samples; none for a decoder that ends there."""
        return Reach()

    @staticmethod
    def body_reach(config: DecoderConfig, head: Reach) -> Reach:
        """``head`` walked back through ``conv_post``, every stage (residual blocks, then the up-sampling), ``conv_pre``."""
        block = RESIDUAL_BLOCKS[config.resblock_type]
        stage = Reach()  # the stage's blocks run side by side and are averaged: the widest one
        for kernel_size, dilations in zip(config.resblock_kernel_sizes, config.resblock_dilations):
            stage = stage.widest(block.reach(kernel_size, dilations))
        reach = head + conv_reach(POST_KERNEL_SIZE, 1, POST_KERNEL_SIZE // 2)
        for rate, kernel_size in reversed(list(zip(config.upsample_rates, config.upsample_kernel_sizes))):
            reach = back_through_transposed(reach + stage, kernel_size, rate, (kernel_size - rate) // 2)
        return reach + conv_reach(PRE_KERNEL_SIZE, 1, PRE_KERNEL_SIZE // 2)

    @staticmethod
    def minimum_frames(config: DecoderConfig) -> int:
        """Transposed up-sampling lengthens and residual blocks keep the length: the plain convolutions decide."""
        return minimum_input_length([half_padded(PRE_KERNEL_SIZE), half_padded(POST_KERNEL_SIZE)])

    def excitation(
        self, latent: Tensor, speaker_embedding: Tensor | None, f0: Tensor | None = None, start_phase: Tensor | None = None
    ) -> Tensor | None:
        """The harmonic source's signal (batch, 1, samples) at ``f0`` (batch, frames; cycles per sample, 0 unvoiced),
        or at the F0 its head reads from ``latent`` when ``f0`` is None, its phase starting at ``start_phase`` (batch,;
        cycles; None: 0); None for a decoder without a source."""
        if self.harmonic_source is None:
            return None
        if f0 is None:
            f0 = self.read_f0(latent, speaker_embedding)
        return self.harmonic_source.excitation(f0.detach(), start_phase)

    def read_f0(self, latent: Tensor, speaker_embedding: Tensor | None) -> Tensor:
        """The harmonic source's F0 for ``latent`` (batch, frames; cycles per sample, 0 unvoiced)."""
        if self.harmonic_source is None:
            raise ValueError("this decoder has no harmonic source (model.decoder.harmonic_source is false)")
        return f0_from_head(self.harmonic_source.predict(latent, speaker_embedding))

    def upsample(self, latent: Tensor, speaker_embedding: Tensor | None, excitation: Tensor | None = None) -> Tensor:
        """latent (batch, in_channels, frames), speaker (batch, speaker_channels, 1) | None, the harmonic source's
        ``excitation`` (batch, 1, samples) | None -> hidden (batch, out_channels, frames * prod(upsample_rates)),
        before the last activation; with ``time_as_2d``, (batch, out_channels, 1, frames * prod(upsample_rates))
        channels-last (see ``output_conv``)."""
        hidden = self.conv_pre(latent)
        if speaker_embedding is not None:
            if self.cond is None:
                raise ValueError(
                    "a speaker embedding was given but this decoder was built with speaker_channels=0; "
                    "build it with the model's speaker_channels or pass speaker_embedding=None"
                )
            hidden = hidden + self.cond(speaker_embedding)
        if self.time_as_2d:
            hidden = to_time_2d(hidden)
        for stage, (upsample, excess) in enumerate(zip(self.ups, self.upsample_excess)):
            hidden = apply_conv(upsample, F.leaky_relu(hidden, LEAKY_RELU_SLOPE))
            if excess:
                hidden = hidden[..., :-excess]
            if excitation is not None and self.harmonic_source is not None:
                source = self.harmonic_source.for_stage(stage, excitation.to(hidden.dtype), hidden.shape[-1])
                hidden = hidden + (to_time_2d(source) if hidden.dim() == 4 else source)
            blocks = self.resblocks[stage * self.n_kernels : (stage + 1) * self.n_kernels]
            block_sum = blocks[0](hidden)
            for block in blocks[1:]:
                block_sum = block_sum + block(hidden)
            hidden = block_sum / self.n_kernels
        return hidden

    def body(
        self, latent: Tensor, speaker_embedding: Tensor | None, f0: Tensor | None = None, start_phase: Tensor | None = None
    ) -> Tensor:
        """``output_conv(upsample(...))`` in float32, its convolutions under autocast to ``compute_dtype`` when set;
        ``f0`` (batch, frames) and ``start_phase`` (batch,) drive a harmonic source (None: its head's reading, 0)."""
        excitation = self.excitation(latent, speaker_embedding, f0, start_phase)
        if self.compute_dtype is None:
            return self.output_conv(self.upsample(latent, speaker_embedding, excitation))
        with torch.autocast(latent.device.type, dtype=self.compute_dtype):
            output = self.output_conv(self.upsample(latent, speaker_embedding, excitation))
        return output.float()

    def output_conv(self, hidden: Tensor) -> Tensor:
        """Leaky ReLU and ``conv_post`` on ``upsample``'s output -> (batch, conv_post channels, samples)."""
        output = apply_conv(self.conv_post, F.leaky_relu(hidden, self.config.output_leaky_relu_slope))
        return from_time_2d(output) if output.dim() == 4 else output

    def remove_weight_norm(self) -> None:
        """Fold every weight-norm parametrization into a plain weight (for inference and export)."""
        for module in self.modules():
            if parametrize.is_parametrized(module, "weight"):
                parametrize.remove_parametrizations(module, "weight", leave_parametrized=True)


class HifiGanDecoder(UpsamplingDecoder):
    """latent (batch, in_channels, frames) -> waveform (batch, 1, frames * prod(upsample_rates)) in [-1, 1]."""

    def __init__(self, config: DecoderConfig, in_channels: int, speaker_channels: int) -> None:
        super().__init__(config, in_channels, speaker_channels)
        self.samples_per_frame = self.upsampling
        self.conv_post = weight_norm(
            nn.Conv1d(self.out_channels, 1, POST_KERNEL_SIZE, padding=POST_KERNEL_SIZE // 2, bias=False)
        )

    def forward(
        self, latent: Tensor, speaker_embedding: Tensor | None = None, f0: Tensor | None = None, start_phase: Tensor | None = None
    ) -> Tensor:
        return torch.tanh(self.body(latent, speaker_embedding, f0, start_phase).float())  # float32 under mixed-precision training
