"""Decoder options that leave the weights as they are (balanced up-sampling, the inverse STFT's phase advance): each is
in a voice's fingerprint only when on, and a voice with it exports to ONNX and decodes there as in PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from polyvox.config import preset
from polyvox.fingerprint import config_fingerprint
from polyvox.models.decoders.balanced_upsampling import phase_imbalance

MULTIBAND = {"model.decoder.type": "istft", "model.decoder.upsample_rates": (4, 4), "model.decoder.upsample_kernel_sizes": (8, 8),
             "model.decoder.subbands": 4}
# Each option on the tiny preset's decoder it applies to.
OPTIONS = {
    "model.decoder.balanced_upsampling": {},
    "model.decoder.istft_phase_advance": MULTIBAND,
}


@pytest.mark.parametrize("option", sorted(OPTIONS))
def test_an_option_is_in_the_fingerprint_only_when_on(option) -> None:
    config = preset("tiny").replace(**OPTIONS[option])
    assert option not in config_fingerprint(config)
    assert config_fingerprint(config.replace(**{option: True}))[option] is True


@pytest.mark.parametrize("option", sorted(OPTIONS))
def test_a_voice_with_the_option_exports_to_onnx_and_decodes_as_pytorch_does(option, tmp_path) -> None:
    pytest.importorskip("onnxruntime")
    from polyvox.export.onnx_export import export_onnx
    from polyvox.inference.onnx_voice import OnnxVoice
    from polyvox.inference.voice import Voice
    from polyvox.models.vits import VitsGenerator
    from polyvox.text.rules import TextRules
    from polyvox.voice_file import VoiceMetadata, save_voice

    config = preset("tiny").replace(**OPTIONS[option], **{option: True})
    symbols = TextRules(config, ("en",)).table_for([("Hello world.", "en")])
    metadata = VoiceMetadata(config=config, symbols=symbols, languages=("en",), speakers=("en_f3",), info={})
    torch.manual_seed(0)
    generator = VitsGenerator(config.model, len(symbols), 1, config.audio.n_mels, config.audio.hop_length)
    path = save_voice(tmp_path / "voice.safetensors", generator.state_dict(), metadata)
    export_onnx(path, tmp_path / "voice.onnx")
    voice, onnx_voice = Voice.load(path), OnnxVoice.load(tmp_path / "voice.onnx", threads=1)
    if config.model.decoder.balanced_upsampling:
        for upsample, rate in zip(voice.generator.decoder.ups, config.model.decoder.upsample_rates):
            assert phase_imbalance(upsample.weight, rate) < 1e-5  # folded for inference, still balanced
    for frames in (20, 37):  # the graph's frame count is not fixed by the trace
        latent = torch.randn(1, config.model.inter_channels, frames)
        mask = torch.ones(1, 1, frames)
        with torch.no_grad():
            expected = voice.generator.decode_latent(latent, mask, voice.generator.speaker_vector(torch.tensor([0])))
        decoded = onnx_voice.decode_latent(latent.numpy(), mask.numpy(), np.array([0]))
        np.testing.assert_allclose(decoded, expected.numpy(), atol=1e-5)
