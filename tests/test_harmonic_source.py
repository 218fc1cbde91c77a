"""The decoders' harmonic source: sines at the pitch, silent where unvoiced, a voice given one speaks as before until it
trains, and the head learns the recordings' F0."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from polyvox.audio.frame_pitch import frame_f0, segment_f0
from polyvox.config import ConfigError, preset
from polyvox.fingerprint import config_fingerprint
from polyvox.models.decoders import build_decoder
from polyvox.models.decoders.harmonic_source import REFERENCE_F0, SINE_AMPLITUDE, f0_from_head, harmonic_sines
from polyvox.train.pitch_loss import pitch_loss

RATE = 22050
HOP = 256


def _peak_hz(signal: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(signal * np.hanning(len(signal))))
    return float(np.argmax(spectrum)) * RATE / len(signal)


def test_sines_sit_at_the_pitch_and_its_harmonics_and_are_silent_where_unvoiced() -> None:
    f0 = torch.tensor([[200.0 / RATE] * 16 + [0.0] * 4])
    sines = harmonic_sines(f0, HOP, 3)
    assert sines.shape == (1, 3, 20 * HOP)
    voiced = sines[0, :, : 16 * HOP].numpy()
    for order in range(3):
        assert _peak_hz(voiced[order]) == pytest.approx(200.0 * (order + 1), abs=3.0)
    assert torch.all(sines[0, :, 16 * HOP :] == 0)
    # The phase runs on across frame boundaries: no sample-to-sample jump larger than the sine's own slope allows.
    steps = np.abs(np.diff(voiced[0]))
    assert steps.max() <= SINE_AMPLITUDE * 2 * np.pi * 200.0 / RATE * 1.01


def test_harmonics_above_nyquist_are_left_out() -> None:
    f0 = torch.full((1, 4), 4000.0 / RATE)
    sines = harmonic_sines(f0, HOP, 4)
    assert sines[0, :2].abs().max() > 0.9 * SINE_AMPLITUDE  # 4 and 8 kHz
    assert torch.all(sines[0, 2:] == 0)  # 12 and 16 kHz are above 11.025 kHz


def test_a_decoder_given_a_source_speaks_as_before_until_it_trains() -> None:
    model = preset("small").model
    torch.manual_seed(0)
    plain = build_decoder(model.decoder, model.inter_channels, model.speaker_channels)
    with_source = build_decoder(dataclasses.replace(model.decoder, harmonic_source=True), model.inter_channels, model.speaker_channels)
    missing, unexpected = with_source.load_state_dict(plain.state_dict(), strict=False)
    assert not unexpected and missing and all(name.startswith("harmonic_source.") for name in missing)
    latent, speaker = torch.randn(2, model.inter_channels, 24), torch.randn(2, model.speaker_channels, 1)
    with torch.no_grad():
        assert torch.equal(plain(latent, speaker), with_source(latent, speaker))
        # Once its stage convolutions have weight, the pitch is heard: another F0, another waveform.
        for stage in with_source.harmonic_source.stages:
            torch.nn.init.normal_(stage.weight, std=0.5)
        low = with_source(latent, speaker, torch.full((2, 24), 110.0 / RATE))
        high = with_source(latent, speaker, torch.full((2, 24), 220.0 / RATE))
    assert low.shape == high.shape == (2, 1, 24 * HOP)
    assert (low - high).abs().mean() > 1e-3


def test_frame_f0_reads_a_voice_and_leaves_silence_unvoiced() -> None:
    time = np.arange(RATE) / RATE
    buzz = sum(np.sin(2 * np.pi * 140.0 * k * time) / k for k in range(1, 6))
    samples = np.concatenate([0.3 * buzz, np.zeros(RATE // 2)])
    frames = len(samples) // HOP
    f0 = frame_f0(samples, RATE, HOP, frames)
    assert f0.shape == (frames,)
    assert np.median(f0[10:70]) == pytest.approx(140.0, abs=2.0)
    assert np.all(f0[-30:] == 0)
    segments = torch.from_numpy(samples[: 2 * 32 * HOP].reshape(2, 1, 32 * HOP)).float()
    as_cycles = segment_f0(segments, RATE, HOP)
    assert as_cycles.shape == (2, 32)
    assert float(as_cycles[0, 10:20].median()) * RATE == pytest.approx(140.0, abs=2.0)


def test_the_head_learns_the_recordings_f0_through_the_pitch_loss() -> None:
    model = preset("tiny").model
    torch.manual_seed(0)
    decoder = build_decoder(dataclasses.replace(model.decoder, harmonic_source=True), model.inter_channels, 0)
    source = decoder.harmonic_source
    # Latents whose first channel carries the pitch (log-F0 around 0) and second the voicing.
    target = torch.where(torch.rand(8, 20) > 0.3, 120.0 + 100.0 * torch.rand(8, 1), torch.zeros(8, 1)) / RATE
    latent = torch.zeros(8, model.inter_channels, 20)
    latent[:, 0] = torch.log(target.clamp(min=1e-6) / REFERENCE_F0) * (target > 0)
    latent[:, 1] = (target > 0).float()
    optimizer = torch.optim.Adam(source.head.parameters(), lr=3e-3)
    before = pitch_loss(source.predict(latent, None), target).item()
    for _ in range(300):
        optimizer.zero_grad()
        pitch_loss(source.predict(latent, None), target).backward()
        optimizer.step()
    with torch.no_grad():
        read = f0_from_head(source.predict(latent, None))
    assert pitch_loss(source.predict(latent, None), target).item() < 0.2 * before
    voiced = target > 0
    assert torch.equal(read > 0, voiced)
    cents = 1200 * torch.log2(read[voiced] / target[voiced]).abs()
    assert float(cents.median()) < 50


def test_the_source_is_in_the_fingerprint_only_when_on_and_checked() -> None:
    config = preset("tiny")
    on = config.replace(**{"model.decoder.harmonic_source": True})
    assert "model.decoder.harmonic_source" not in config_fingerprint(config)
    assert config_fingerprint(on)["model.decoder.harmonic_source"] is True
    with pytest.raises(ConfigError, match="harmonics and pitch_channels"):
        config.replace(**{"model.decoder.harmonics": 0})


def test_the_onnx_engine_speaks_a_voice_with_a_source_as_pytorch_does_and_streams_it_without_seams(tmp_path, monkeypatch) -> None:
    """The decoder graph takes the source's phase and gives its F0, so the engine carries the phase from window to
    window: streamed, the sines join as the whole sentence's (started afresh in each window, they would not)."""
    pytest.importorskip("onnxruntime")
    from onnx_voices import make_voice
    from tiny_voices import ENGLISH

    import polyvox.inference.onnx_voice as engine
    from polyvox.export.onnx_export import export_onnx
    from polyvox.inference.batch import one_torch_thread
    from polyvox.inference.voice import Voice

    with one_torch_thread():
        voice_path = make_voice(tmp_path / "harmonic.safetensors", "multiband", 0.5, harmonic_source=True)
        exported = export_onnx(voice_path, tmp_path / "voice.onnx")
        quiet = {"noise_scale": 0.0, "noise_scale_duration": 0.0}
        expected = Voice.load(voice_path).synthesize(ENGLISH, **quiet).samples
    assert exported.metadata.graphs["decoder"].outputs == ("waveform", "source_f0")
    onnx_voice = engine.OnnxVoice.load(tmp_path / "voice.onnx", threads=1)
    whole = onnx_voice.synthesize(ENGLISH, **quiet).samples
    np.testing.assert_allclose(whole, expected, atol=1e-4)
    chunks = list(onnx_voice.stream(ENGLISH, first_chunk_frames=3, chunk_frames=8, **quiet))
    assert len(chunks) > 4
    np.testing.assert_allclose(np.concatenate(chunks), whole, atol=1e-4)

    class Restarting(engine.SourcePhase):
        def advance(self, f0: np.ndarray, samples_per_frame: int) -> None:
            """Every window's phase from 0: what the graphs did before they took the phase."""

    monkeypatch.setattr(engine, "SourcePhase", Restarting)
    restarted = np.concatenate(list(onnx_voice.stream(ENGLISH, first_chunk_frames=3, chunk_frames=8, **quiet)))
    assert np.abs(restarted - whole).max() > 1e-2


def test_the_source_learns_at_its_own_rate_beside_the_style_sampler() -> None:
    from polyvox.text import SymbolTable
    from polyvox.train.module import VitsTrainingModule
    from polyvox.voice_file import VoiceMetadata

    config = preset("tiny").replace(**{
        "model.decoder.harmonic_source": True, "training.harmonic_source_learning_rate": 1e-3,
        "model.style.enabled": True, "model.style_sampler.enabled": True, "training.style_sampler_learning_rate": 4e-3,
    })
    module = VitsTrainingModule(VoiceMetadata(config, SymbolTable.from_sequences([["a", "b"]]), ("en",), ("s",), {}))
    (generator_optimizer, _), _ = module.configure_optimizers()
    groups = generator_optimizer.param_groups
    assert [group["lr"] for group in groups] == [config.training.learning_rate, 4e-3, 1e-3]
    assert sum(len(group["params"]) for group in groups) == len(list(module.generator.parameters()))
    source = {id(parameter) for parameter in module.generator.decoder.harmonic_source.parameters()}
    assert {id(parameter) for parameter in groups[2]["params"]} == source
    with pytest.raises(ConfigError, match="harmonic_source_learning_rate must be positive"):
        config.replace(**{"training.harmonic_source_learning_rate": 0.0})


@pytest.mark.parametrize(("hz", "band"), [(1000.0, 0), (4000.0, 1), (7000.0, 2), (10000.0, 3)])
def test_a_four_band_decoder_hears_the_source_in_the_band_where_it_sounds(hz, band) -> None:
    """The four-band decoder's last stage runs at 16 samples a frame (1378 Hz): a sine above 689 Hz could only reach it
    aliased through a strided convolution, so it gets the source's sub-band spectra instead."""
    from polyvox.models.decoders.harmonic_source import SpectralSource

    decoder = preset("small").model.decoder
    source = SpectralSource(decoder)
    tone = torch.sin(2 * torch.pi * hz * torch.arange(40 * HOP) / RATE)[None, None]
    features = source(tone)
    bins = decoder.istft_n_fft // 2 + 1
    assert features.shape == (1, decoder.subbands * 2 * bins, 40 * HOP // (decoder.subbands * decoder.istft_hop))
    parts = features[0, :, 8:-8].reshape(decoder.subbands, 2, bins, -1)
    energy = (parts**2).sum(dim=(1, 2, 3))
    assert int(energy.argmax()) == band
    assert energy[band] > 20 * (energy.sum() - energy[band])
