"""A voice with another voice's decoder: the donor's decoder (trained long, on human speech: an imported Piper
voice's) takes the place of the voice's own, and learns the voice's latents in a ``--freeze decoder`` fine-tune.

The two latent spaces differ, so the donor's first layer is refitted: the donor speaks sentences of its language,
the voice's posterior encoder reads that speech back, and a least-squares map from the voice's latents to the donor's
(the latents the donor decoded) is folded into the donor's input convolution. The map is fitted on samples of the
posterior, not on its means, as training decodes samples: fitted on the means, it amplified the posterior's noise
and the grafted voice spoke nothing Whisper could read (benchmarks/results/listener_decoder_graft.md, first try). The
speaker conditioning starts at zero: every speaker first sounds like the donor's latents.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor

from polyvox.errors import PolyvoxError
from polyvox.voice_file import DECODER_PREFIX, VoiceMetadata, build_generator, decoder_tensors, load_voice_file

# Posterior samples drawn per frame of the donor's speech for the fit.
POSTERIOR_DRAWS = 4


class DecoderGraftError(PolyvoxError, ValueError):
    """The donor's decoder cannot serve the voice."""


@dataclass(frozen=True)
class GraftedVoice:
    tensors: dict[str, Tensor]
    metadata: VoiceMetadata
    explained: float  # share of the donor latents' variance the fitted map explains (R², posterior samples)
    frames: int  # frames of the donor's speech the map was fitted on


def graft_decoder(
    voice: str | Path, donor: str | Path, sentences: Sequence[str], language: str, speaker: str | None = None, seed: int = 0,
) -> GraftedVoice:
    """``voice`` with ``donor``'s decoder; the donor speaks ``sentences`` in ``language`` for the fit of its input
    layer, read back by the voice's posterior as its ``speaker`` (default: its first; the nearest to the donor is best)."""
    from polyvox import Voice

    tensors, metadata = load_voice_file(voice)
    donor_voice = Voice.load(donor)
    _check_compatible(metadata, donor_voice.metadata, language, str(donor))
    if not sentences:
        raise DecoderGraftError("a decoder graft needs sentences for the donor to speak; give at least one")
    speaker_index = _speaker_index(metadata, speaker)
    pairs = _donor_speech(donor_voice, sentences, language, seed)
    generator = build_generator(metadata)
    generator.load_state_dict({name: tensor.float() for name, tensor in tensors.items()})
    generator.eval()
    voice_latents, donor_latents = _read_back(generator, metadata, pairs, speaker_index, seed)
    weight, bias, explained = _least_squares(voice_latents, donor_latents)
    donor_decoder = decoder_tensors(load_voice_file(donor)[0])
    config = dataclasses.replace(
        metadata.config, model=dataclasses.replace(metadata.config.model, decoder=donor_voice.metadata.config.model.decoder)
    )
    info = {**metadata.info, "decoder_from": f"{Path(donor).name} (input fit R² {explained:.2f})"}
    grafted_metadata = dataclasses.replace(metadata, config=config, info=info)
    own = build_generator(grafted_metadata).state_dict()
    state = {name: tensor.float() for name, tensor in tensors.items() if not name.startswith(DECODER_PREFIX)}
    for name, tensor in _fold_input_map(donor_decoder, weight, bias).items():
        state[DECODER_PREFIX + name] = tensor
    for name in ("cond.weight", "cond.bias"):  # the voice's speaker vectors are new to the donor's decoder: no effect at first
        if DECODER_PREFIX + name in own:
            state[DECODER_PREFIX + name] = torch.zeros_like(own[DECODER_PREFIX + name])
    missing = sorted(set(own) - set(state))
    if missing:
        raise DecoderGraftError(f"the donor's decoder lacks {', '.join(missing[:3])}: it is not an upsampling decoder polyvox can graft")
    return GraftedVoice(state, grafted_metadata, explained, int(voice_latents.shape[0]) // POSTERIOR_DRAWS)


def _check_compatible(metadata: VoiceMetadata, donor: VoiceMetadata, language: str, donor_name: str) -> None:
    audio, donor_audio = metadata.config.audio, donor.config.audio
    if (audio.sample_rate, audio.hop_length) != (donor_audio.sample_rate, donor_audio.hop_length):
        raise DecoderGraftError(
            f"{donor_name} makes {donor_audio.hop_length} samples a frame at {donor_audio.sample_rate} Hz, the voice "
            f"{audio.hop_length} at {audio.sample_rate} Hz: a decoder graft needs the same rate and hop"
        )
    if language not in donor.languages:
        raise DecoderGraftError(f"{donor_name} does not speak {language!r}; it speaks {', '.join(donor.languages)}")


def _speaker_index(metadata: VoiceMetadata, speaker: str | None) -> int:
    if speaker is None:
        return 0
    if speaker not in metadata.speakers:
        raise DecoderGraftError(f"the voice has no speaker {speaker!r}; it has {', '.join(metadata.speakers)}")
    return metadata.speakers.index(speaker)


def _donor_speech(donor: object, sentences: Sequence[str], language: str, seed: int) -> list[tuple[Tensor, Tensor]]:
    """(latent (channels, frames), waveform (samples,)) of each sentence, as the donor's decoder received and made them."""
    pairs: list[tuple[Tensor, Tensor]] = []

    def keep(module: torch.nn.Module, inputs: tuple[Tensor, ...], output: Tensor) -> None:
        pairs.append((inputs[0].detach().float()[0], output.detach().float()[0, 0]))

    hook = donor.generator.decoder.register_forward_hook(keep)
    try:
        for sentence in sentences:
            donor.synthesize(sentence, language=language, seed=seed)
    finally:
        hook.remove()
    return pairs


@torch.no_grad()
def _read_back(
    generator: torch.nn.Module, metadata: VoiceMetadata, pairs: Sequence[tuple[Tensor, Tensor]], speaker: int, seed: int,
) -> tuple[Tensor, Tensor]:
    """Rows of (posterior sample of the voice, donor latent), frame by frame, ``POSTERIOR_DRAWS`` samples a frame."""
    from polyvox.audio.features import MelSpectrogram

    mel = MelSpectrogram(metadata.config.audio)
    noise = torch.Generator().manual_seed(seed)
    speaker_vector = generator.speaker_vector(torch.tensor([speaker]))
    voice_rows, donor_rows = [], []
    for latent, waveform in pairs:
        spectrogram = mel(waveform[None])
        frames = min(spectrogram.shape[-1], latent.shape[-1])
        posterior = generator.posterior_encoder(spectrogram[..., :frames], torch.ones(1, 1, frames), speaker_vector)
        scales = posterior.log_scales.exp()
        for _ in range(POSTERIOR_DRAWS):
            sample = posterior.means + torch.randn(posterior.means.shape, generator=noise) * scales
            voice_rows.append(sample[0].T)
            donor_rows.append(latent[:, :frames].T)
    return torch.cat(voice_rows).double(), torch.cat(donor_rows).double()


def _least_squares(voice: Tensor, donor: Tensor) -> tuple[Tensor, Tensor, float]:
    """weight (donor channels, voice channels), bias (donor channels,) with donor ≈ weight @ voice + bias; R²."""
    design = torch.cat([voice, torch.ones(voice.shape[0], 1, dtype=voice.dtype)], dim=1)
    solution = torch.linalg.lstsq(design, donor).solution
    residual = donor - design @ solution
    explained = 1.0 - float(residual.pow(2).sum() / (donor - donor.mean(dim=0)).pow(2).sum())
    return solution[:-1].T.float(), solution[-1].float(), explained


def _fold_input_map(decoder: dict[str, Tensor], weight: Tensor, bias: Tensor) -> dict[str, Tensor]:
    """The donor's input convolution composed with the linear map: it now reads the voice's latents. Weight-normed
    (``original0`` the gain, ``original1`` the direction) as the decoder keeps it."""
    gain, direction = decoder["conv_pre.parametrizations.weight.original0"], decoder["conv_pre.parametrizations.weight.original1"]
    kernel = gain * direction / direction.norm(dim=(1, 2), keepdim=True)  # (out, donor channels, taps)
    folded = torch.einsum("odk,dv->ovk", kernel, weight)
    return {
        **decoder,
        "conv_pre.parametrizations.weight.original1": folded,
        "conv_pre.parametrizations.weight.original0": folded.norm(dim=(1, 2), keepdim=True),
        "conv_pre.bias": decoder["conv_pre.bias"] + torch.einsum("odk,d->o", kernel, bias),
    }
