"""The decoder student: a preset's fast decoder (four-band iSTFT for small and medium) in place of the source
voice's, everything else of the source kept bit for bit, so the student reads and times text as the source does."""

from __future__ import annotations

import dataclasses

import torch

from polyvox.voice_file import DECODER_PREFIX, VoiceMetadata
from polyvox.config import DecoderConfig, preset
from polyvox.distill.options import DistillError, settled_config
from polyvox.models.decoders import UpsamplingDecoder, build_decoder, decoder_class

FLOW_PREFIX = "flow."


def student_decoder_config(source: VoiceMetadata, preset_name: str, overrides: tuple[str, ...] = ()) -> DecoderConfig:
    """The preset's decoder with ``overrides`` (``model.decoder.key=value``) applied."""
    config = settled_config(preset(preset_name), overrides).model.decoder
    hop = source.config.audio.hop_length
    if config.total_upsampling != hop:
        raise DistillError(
            f"the source voice's hop is {hop} samples; the {preset_name} decoder makes {config.total_upsampling} per "
            f"frame: distilling the decoder needs a voice with a hop of {config.total_upsampling}"
        )
    return config


def build_student_decoder(source: VoiceMetadata, config: DecoderConfig, seed: int) -> UpsamplingDecoder:
    with torch.random.fork_rng():  # the caller's random state is left as it was
        torch.manual_seed(seed)
        return build_decoder(config, source.config.model.inter_channels, source.config.model.speaker_channels)


def context_frames(config: DecoderConfig, cap: int = 32) -> int:
    """Latent frames either side of a training segment: with as many as the decoder reaches, the segment's
    centre comes out as it does in a whole sentence."""
    reach = decoder_class(config).reach(config)
    return min(cap, max(reach.left, reach.right))


def student_voice(
    source_tensors: dict[str, torch.Tensor], source: VoiceMetadata, decoder: dict[str, torch.Tensor], config: DecoderConfig,
    info: dict[str, str], through_flow: bool = False,
) -> tuple[dict[str, torch.Tensor], VoiceMetadata]:
    """The source's tensors and metadata with ``decoder`` (a decoder's state dict, of ``config``) in place of its own,
    and of its flow too when ``through_flow`` (a flow of no couplings passes the prior's sample on as it is)."""
    replaced = (DECODER_PREFIX, FLOW_PREFIX) if through_flow else (DECODER_PREFIX,)
    tensors = {name: tensor for name, tensor in source_tensors.items() if not name.startswith(replaced)}
    tensors.update({DECODER_PREFIX + name: tensor.detach().clone() for name, tensor in decoder.items()})
    model = dataclasses.replace(source.config.model, decoder=config)
    if through_flow:
        model = dataclasses.replace(model, flow=dataclasses.replace(model.flow, n_flows=0))
    metadata = dataclasses.replace(source, config=dataclasses.replace(source.config, model=model), info={**source.info, **info})
    return tensors, metadata
