"""A voice given another voice's decoder (polyvox.finetune.decoder_graft): the donor's decoder reads the voice's latents
through its refitted input layer, everything else of the voice is kept, and what cannot be grafted is refused."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from polyvox import Voice
from polyvox.config import preset
from polyvox.finetune.decoder_graft import DecoderGraftError, _fold_input_map, graft_decoder
from polyvox.models.vits import VitsGenerator
from polyvox.voice_file import VoiceMetadata, load_voice_file, save_voice
from tiny_voices import ENGLISH, ISTFT, SPEAKERS, covering_symbols, make_tiny_voice


def make_donor(path, seed: int = 3, **overrides):
    """A one-speaker English voice with another decoder (iSTFT) and twice the tiny voice's latent channels."""
    config = preset("tiny", ("en",), n_speakers=1)
    config = config.replace(**{**ISTFT, "model.inter_channels": 2 * config.model.inter_channels, **overrides})
    symbols = covering_symbols(config)
    metadata = VoiceMetadata(config=config, symbols=symbols, languages=("en",), speakers=("donor",), info={})
    torch.manual_seed(seed)
    generator = VitsGenerator(config.model, len(symbols), 1, config.audio.n_mels, config.audio.hop_length)
    return save_voice(path, generator.state_dict(), metadata)


@pytest.fixture(scope="module")
def grafted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("graft")
    voice, donor = make_tiny_voice(folder / "voice.safetensors", seed=1), make_donor(folder / "donor.safetensors")
    result = graft_decoder(voice, donor, [ENGLISH, "The cat sat on the mat."], "en", speaker=SPEAKERS[0])
    return folder, voice, donor, result


def test_the_grafted_voice_keeps_its_own_weights_and_takes_the_donors_decoder(grafted):
    folder, voice, donor, result = grafted
    voice_tensors, voice_metadata = load_voice_file(voice)
    donor_tensors, donor_metadata = load_voice_file(donor)
    assert result.metadata.config.model.decoder == donor_metadata.config.model.decoder
    assert result.metadata.config.model.decoder != voice_metadata.config.model.decoder
    assert (result.metadata.symbols, result.metadata.speakers) == (voice_metadata.symbols, voice_metadata.speakers)
    for name, tensor in voice_tensors.items():
        if not name.startswith("decoder."):
            assert torch.equal(result.tensors[name], tensor.float()), name
    refitted = {"decoder.conv_pre.bias", "decoder.conv_pre.parametrizations.weight.original0",
                "decoder.conv_pre.parametrizations.weight.original1", "decoder.cond.weight", "decoder.cond.bias"}
    for name, tensor in donor_tensors.items():
        if name.startswith("decoder.") and name not in refitted:
            assert torch.equal(result.tensors[name], tensor.float()), name
    # the voice's speakers have no effect on the donor's decoder until a fine-tune teaches them one
    assert not result.tensors["decoder.cond.weight"].any() and not result.tensors["decoder.cond.bias"].any()
    assert 0.0 <= result.explained <= 1.0 and result.frames > 0
    assert "decoder_from" in result.metadata.info


def test_the_folded_input_layer_is_the_donors_applied_to_the_mapped_latents():
    torch.manual_seed(0)
    donor_channels, voice_channels, frames = 6, 4, 9
    conv = torch.nn.utils.parametrizations.weight_norm(torch.nn.Conv1d(donor_channels, 5, 7, padding=3))
    decoder = {f"conv_pre.{name}": tensor.detach() for name, tensor in conv.state_dict().items()}
    weight, bias = torch.randn(donor_channels, voice_channels), torch.randn(donor_channels)
    folded = _fold_input_map(decoder, weight, bias)
    latents = torch.randn(1, voice_channels, frames)
    kernel = folded["conv_pre.parametrizations.weight.original0"] * folded["conv_pre.parametrizations.weight.original1"] / (
        folded["conv_pre.parametrizations.weight.original1"].norm(dim=(1, 2), keepdim=True))
    expected = conv(torch.einsum("dv,bvt->bdt", weight, latents) + bias[None, :, None])
    got = torch.nn.functional.conv1d(latents, kernel, folded["conv_pre.bias"], padding=3)
    # away from the edges, where the donor's zero padding would see the map's bias, the two agree
    assert torch.allclose(got[..., 3:-3], expected[..., 3:-3], atol=1e-5)


def test_the_grafted_voice_speaks_with_the_voices_timing(grafted):
    folder, voice, _, result = grafted
    path = save_voice(folder / "grafted.safetensors", result.tensors, result.metadata)
    grafted_audio = Voice.load(path).synthesize(ENGLISH, language="en", seed=0).samples
    own_audio = Voice.load(voice).synthesize(ENGLISH, language="en", seed=0).samples
    # the text side is the voice's: the same durations, so the same length; the sound is the donor decoder's
    assert len(grafted_audio) == len(own_audio) > 0
    assert np.isfinite(grafted_audio).all() and not np.allclose(grafted_audio, own_audio)


def test_what_cannot_be_grafted_is_refused_in_one_line(grafted, tmp_path):
    _, voice, donor, _ = grafted
    other_hop = make_donor(tmp_path / "hop.safetensors", **{"audio.hop_length": 128, "model.decoder.upsample_rates": [8, 4]})
    cases = [
        (dict(voice=voice, donor=other_hop, sentences=[ENGLISH], language="en"), "same rate and hop"),
        (dict(voice=voice, donor=donor, sentences=["Hola mundo."], language="es"), "does not speak 'es'"),
        (dict(voice=voice, donor=donor, sentences=[ENGLISH], language="en", speaker="nobody"), "no speaker 'nobody'"),
        (dict(voice=voice, donor=donor, sentences=[], language="en"), "needs sentences"),
    ]
    for arguments, message in cases:
        with pytest.raises(DecoderGraftError, match=message) as error:
            graft_decoder(**arguments)
        assert "\n" not in str(error.value)
