"""Normalizing flow between the posterior latent and the text-conditioned prior (VITS)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from polyvox.config import FlowConfig
from polyvox.models.conv_geometry import WHOLE_SENTENCE, Reach, half_padded, minimum_input_length
from polyvox.models.transformer import RelativeTransformer
from polyvox.models.wavenet import WaveNet

# Relative-position window of the transformer couplings (as in the text encoder of VITS and MeloTTS).
TRANSFORMER_WINDOW_SIZE = 4


class ShiftCoupling(nn.Module):
    """Mean-only coupling: the second half is shifted by a network of the first (volume preserving)."""

    def __init__(self, channels: int, config: FlowConfig, speaker_channels: int) -> None:
        super().__init__()
        self.half_channels = channels // 2
        self.input_projection = nn.Conv1d(self.half_channels, config.hidden_channels, 1)
        # Built between the projections: the order of a seeded initialisation and of the weights stays as it was.
        self.add_shift_network(config, speaker_channels)
        self.output_projection = nn.Conv1d(config.hidden_channels, self.half_channels, 1)
        # Start as the identity so an untrained flow passes the latent through unchanged.
        nn.init.zeros_(self.output_projection.weight)
        nn.init.zeros_(self.output_projection.bias)

    def add_shift_network(self, config: FlowConfig, speaker_channels: int) -> None:
        raise NotImplementedError

    @staticmethod
    def reach(config: FlowConfig) -> Reach:
        """Frames one coupling's output reads (the 1x1 projections read their own frame)."""
        raise NotImplementedError

    @staticmethod
    def minimum_frames(config: FlowConfig) -> int:
        raise NotImplementedError

    def shift_network(self, hidden: Tensor, mask: Tensor, speaker_embedding: Tensor | None) -> Tensor:
        raise NotImplementedError

    def forward(self, latent: Tensor, mask: Tensor, speaker_embedding: Tensor | None, reverse: bool) -> Tensor:
        first, second = torch.split(latent, self.half_channels, dim=1)
        hidden = self.input_projection(first) * mask
        shift = self.output_projection(self.shift_network(hidden, mask, speaker_embedding)) * mask
        second = (second - shift) * mask if reverse else (second + shift) * mask
        return torch.cat([first, second], dim=1)


class MeanOnlyCoupling(ShiftCoupling):
    """The shift comes from a WaveNet (VITS)."""

    def add_shift_network(self, config: FlowConfig, speaker_channels: int) -> None:
        self.wavenet = WaveNet(config.hidden_channels, config.kernel_size, config.dilation_rate, config.n_layers, speaker_channels)

    @staticmethod
    def reach(config: FlowConfig) -> Reach:
        return WaveNet.reach(config.kernel_size, config.dilation_rate, config.n_layers)

    @staticmethod
    def minimum_frames(config: FlowConfig) -> int:
        return WaveNet.minimum_frames(config.kernel_size, config.dilation_rate, config.n_layers)

    def shift_network(self, hidden: Tensor, mask: Tensor, speaker_embedding: Tensor | None) -> Tensor:
        return self.wavenet(hidden, mask, speaker_embedding)


class TransformerCoupling(ShiftCoupling):
    """The shift comes from relative-attention layers (MeloTTS / VITS2 transformer flow)."""

    def add_shift_network(self, config: FlowConfig, speaker_channels: int) -> None:
        self.transformer = RelativeTransformer(config, TRANSFORMER_WINDOW_SIZE, speaker_channels)

    @staticmethod
    def reach(config: FlowConfig) -> Reach:
        return Reach(WHOLE_SENTENCE, WHOLE_SENTENCE)  # attention reads the whole sentence

    @staticmethod
    def minimum_frames(config: FlowConfig) -> int:
        return minimum_input_length([half_padded(config.kernel_size)] * 2)  # the feed-forward convolutions

    def shift_network(self, hidden: Tensor, mask: Tensor, speaker_embedding: Tensor | None) -> Tensor:
        return self.transformer(hidden, mask, speaker_embedding)


COUPLINGS: dict[str, type[ShiftCoupling]] = {"wavenet": MeanOnlyCoupling, "transformer": TransformerCoupling}


class ResidualCouplingFlow(nn.Module):
    """Stack of couplings with channel flips; ``reverse=True`` maps prior samples to the posterior space."""

    def __init__(self, channels: int, config: FlowConfig, speaker_channels: int) -> None:
        super().__init__()
        coupling = COUPLINGS[config.type]
        self.couplings = nn.ModuleList(coupling(channels, config, speaker_channels) for _ in range(config.n_flows))

    @staticmethod
    def reach(config: FlowConfig) -> Reach:
        """Frames of reach of the whole flow: its couplings in series."""
        one = COUPLINGS[config.type].reach(config)
        return Reach(min(one.left * config.n_flows, WHOLE_SENTENCE), min(one.right * config.n_flows, WHOLE_SENTENCE))

    @staticmethod
    def minimum_frames(config: FlowConfig) -> int:
        return COUPLINGS[config.type].minimum_frames(config)

    def forward(self, latent: Tensor, mask: Tensor, speaker_embedding: Tensor | None = None, reverse: bool = False) -> Tensor:
        """latent (batch, channels, frames), mask (batch, 1, frames)."""
        if not reverse:
            for coupling in self.couplings:
                latent = coupling(latent, mask, speaker_embedding, reverse=False)
                latent = torch.flip(latent, [1])
        else:
            for coupling in reversed(self.couplings):
                latent = torch.flip(latent, [1])
                latent = coupling(latent, mask, speaker_embedding, reverse=True)
        return latent
