"""Streaming: windows decoded with the computed context join to exactly the whole-sentence audio."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch
from torch.nn.utils import parametrize

from polyvox.voice_file import VoiceMetadata, save_voice
from polyvox.config import VoiceConfig, preset
from polyvox.inference.batch import one_torch_thread
from polyvox.inference.streaming import ChunkSchedule, SourcePhase, decode_window, plan_windows
from polyvox.inference.voice import SynthesisError, Voice
from polyvox.models.receptive_field import LatentContext
from polyvox.models.vits import VitsGenerator
from polyvox.text import SymbolTable
from polyvox.text.rules import TextRules
from polyvox.text.errors import EmptyTextError

TEXT = "Hello world. The cat sat on the mat. Hello cat."
ISTFT = {"model.decoder.type": "istft", "model.decoder.upsample_rates": (8, 8), "model.decoder.upsample_kernel_sizes": (16, 16)}
MULTIBAND = {**ISTFT, "model.decoder.upsample_rates": (4, 4), "model.decoder.upsample_kernel_sizes": (8, 8), "model.decoder.subbands": 4}
CONFIGS = {
    "hifigan": preset("tiny"),
    "istft": preset("tiny").replace(**ISTFT),
    "multiband": preset("tiny").replace(**MULTIBAND),
    # Relative-attention couplings (MeloTTS / VITS2): attention reaches the whole sentence.
    "transformer-flow": preset("tiny").replace(**{"model.flow.type": "transformer", "model.flow.n_heads": 2, "model.flow.filter_channels": 32}),
    # HiFi-GAN's lighter residual block (Piper's voices): one dilated convolution per dilation.
    "resblock-2": preset("tiny").replace(**{"model.decoder.resblock_type": "2", "model.decoder.resblock_kernel_sizes": (3, 5), "model.decoder.resblock_dilations": ((1, 2), (2, 6))}),
    # A harmonic source (its F0 head's frames of context, its phase carried from window to window).
    "harmonic": preset("tiny").replace(**{**MULTIBAND, "model.decoder.harmonic_source": True}),
    # Phases advancing from frame to frame: a window's frames are at the same point of the advance's cycle.
    "phase-advance": preset("tiny").replace(**{**MULTIBAND, "model.decoder.istft_phase_advance": True}),
    # Dilated flow, an even residual kernel and up-sampling kernels that leave an excess sample.
    "odd-kernels": preset("tiny").replace(
        **{
            "model.flow.dilation_rate": 2, "model.flow.kernel_size": 3, "model.flow.n_layers": 3,
            "model.decoder.resblock_kernel_sizes": (4, 3), "model.decoder.resblock_dilations": ((1, 2), (3,)),
            "model.decoder.upsample_kernel_sizes": (17, 8, 7),
        }
    ),
}


@pytest.fixture(autouse=True, scope="module")
def single_torch_thread():
    """One torch thread: on a shared 2-core machine a second thread spins and costs far more than it gives."""
    with one_torch_thread():
        yield


def roughen(generator: torch.nn.Module) -> torch.nn.Module:
    """Give the flow and decoder weights large enough that every frame of context visibly matters
    (an initialised flow is the identity and residual blocks start near zero)."""
    with torch.no_grad():
        for module in [*generator.flow.modules(), *generator.decoder.modules()]:
            if parametrize.is_parametrized(module, "weight"):
                parametrize.remove_parametrizations(module, "weight", leave_parametrized=True)
            if isinstance(module, (torch.nn.Conv1d, torch.nn.ConvTranspose1d)):
                fan_in = module.weight[0].numel() if isinstance(module, torch.nn.Conv1d) else module.weight.shape[0] * module.weight.shape[2] // module.stride[0]
                module.weight.normal_(0.0, 0.8 / fan_in**0.5)
    return generator.eval()


def generator_for(config: VoiceConfig) -> VitsGenerator:
    torch.manual_seed(0)
    return roughen(VitsGenerator(config.model, 10, 1, config.audio.n_mels, config.audio.hop_length))


def windowed(generator: VitsGenerator, latent: torch.Tensor, context: LatentContext, schedule: ChunkSchedule) -> torch.Tensor:
    speaker = generator.speaker_vector(torch.tensor([0]))
    windows = list(plan_windows(latent.shape[-1], context, schedule))
    assert [w.start for w in windows[1:]] == [w.end for w in windows[:-1]] and windows[-1].end == latent.shape[-1]
    phase = SourcePhase()
    return torch.cat([decode_window(generator, latent, speaker, window, phase=phase) for window in windows])


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_windows_join_to_the_whole_sentence(name):
    config = CONFIGS[name]
    generator = generator_for(config)
    context = LatentContext.for_model(config.model)
    latent = torch.randn(1, config.model.inter_channels, 45, generator=torch.Generator().manual_seed(1))
    whole = generator.decode_latent(latent, torch.ones(1, 1, 45), generator.speaker_vector(torch.tensor([0])))[0, 0]
    joined = windowed(generator, latent, context, ChunkSchedule(first=3, largest=7))
    assert joined.shape == whole.shape
    assert torch.allclose(joined, whole, atol=1e-5), float((joined - whole).abs().max())


def test_a_harmonic_sources_phase_is_carried_from_window_to_window():
    """The sines' phase at a window's start is the whole sentence's there: started from 0 in each window instead,
    the windows do not join (so the harmonic case above is not met by a silent source)."""
    config = CONFIGS["harmonic"]
    generator = generator_for(config)
    latent = torch.randn(1, config.model.inter_channels, 45, generator=torch.Generator().manual_seed(1))
    speaker = generator.speaker_vector(torch.tensor([0]))
    with torch.no_grad():
        flowed = generator.flow(latent, torch.ones(1, 1, 45), speaker, reverse=True)
        assert int((generator.decoder.read_f0(flowed, speaker) > 0).sum()) > 10
        whole = generator.decode_latent(latent, torch.ones(1, 1, 45), speaker)[0, 0]
        windows = list(plan_windows(45, LatentContext.for_model(config.model), ChunkSchedule(first=3, largest=7)))
        restarted = torch.cat([decode_window(generator, latent, speaker, window) for window in windows])
    assert (restarted - whole).abs().max() > 1e-2


@pytest.mark.parametrize("name", ["hifigan", "istft", "multiband", "resblock-2"])
def test_the_computed_context_is_no_larger_than_needed(name):
    """One frame less on any side breaks the equality: the context is the true receptive field, not a margin."""
    config = CONFIGS[name]
    generator = generator_for(config)
    context = LatentContext.for_model(config.model)
    latent = torch.randn(1, config.model.inter_channels, 45, generator=torch.Generator().manual_seed(1))
    speaker = generator.speaker_vector(torch.tensor([0]))
    whole = generator.decode_latent(latent, torch.ones(1, 1, 45), speaker)[0, 0]
    for side in ("left", "right"):
        short = dataclasses.replace(context.decoder, **{side: getattr(context.decoder, side) - 1})
        joined = windowed(generator, latent, dataclasses.replace(context, decoder=short), ChunkSchedule(3, 7))
        assert (joined - whole).abs().max() > 1e-4, f"decoder {side}"
    # The flow alone: frames 20-30 from exactly its reach around them, then from one frame less.
    with torch.no_grad():
        flowed = generator.flow(latent, torch.ones(1, 1, 45), speaker, reverse=True)[..., 20:30]
        for trim_left, trim_right in ((0, 0), (1, 0), (0, 1)):
            first, last = 20 - context.flow.left + trim_left, 30 + context.flow.right - trim_right
            piece = generator.flow(latent[..., first:last], torch.ones(1, 1, last - first), speaker, reverse=True)
            error = (piece[..., 20 - first : 30 - first] - flowed).abs().max()
            assert (error < 1e-6) if trim_left == trim_right == 0 else (error > 1e-5)


def save_tiny_voice(path: Path, config: VoiceConfig) -> Path:
    symbols = TextRules(config, ("en",)).table_for([(TEXT, "en")])
    metadata = VoiceMetadata(config=config, symbols=symbols, languages=("en",), speakers=("en_f3", "en_m1"), info={})
    torch.manual_seed(0)
    generator = VitsGenerator(config.model, len(symbols), 1, config.audio.n_mels, config.audio.hop_length)
    return save_voice(path, generator.state_dict(), metadata)


@pytest.fixture(scope="module", params=["hifigan", "istft", "multiband", "harmonic"])
def voice(request, tmp_path_factory) -> Voice:
    config = CONFIGS[request.param].replace(**{"model.n_speakers": 2})
    loaded = Voice.load(save_tiny_voice(tmp_path_factory.mktemp("voice") / "tiny.safetensors", config))
    roughen(loaded.generator)
    return loaded


@pytest.mark.parametrize("pitch", [0.0, 3.0])
def test_stream_joins_to_synthesize_with_the_same_seed(voice, pitch):
    options = {"speaker": "en_m1", "speed": 0.8, "seed": 5, "pitch": pitch}
    chunks = list(voice.stream(TEXT, first_chunk_frames=4, chunk_frames=16, **options))
    whole = voice.synthesize(TEXT, **options).samples
    assert all(chunk.dtype == np.float32 for chunk in chunks)
    # Three sentences and two pauses: with a pitch shift, one chunk per sentence; without, several.
    assert len(chunks) == 5 if pitch else len(chunks) > 5
    joined = np.concatenate(chunks)
    assert joined.shape == whole.shape
    assert np.allclose(joined, whole, atol=1e-5)
    assert not np.allclose(whole, voice.synthesize(TEXT, **{**options, "seed": 6}).samples)


def test_the_first_chunk_needs_only_the_first_sentence(voice, monkeypatch):
    """Later sentences are phonemized when reached, so a long text starts as fast as a short one."""
    encoded: list[str] = []
    encode = voice.encode
    monkeypatch.setattr(voice, "encode", lambda sentence, language: encoded.append(sentence) or encode(sentence, language))
    chunks = voice.stream(" ".join([TEXT] * 10), seed=0, first_chunk_frames=4)
    first = next(chunks)
    chunks.close()
    assert encoded == ["Hello world."]
    assert first.size == 4 * voice.metadata.config.audio.hop_length


@pytest.mark.parametrize(
    ("text", "options", "error"),
    [
        ("   ", {}, EmptyTextError),
        (TEXT, {"speed": 0.0}, SynthesisError),
        (TEXT, {"pitch": 40.0}, SynthesisError),
        (TEXT, {"speaker": "nobody"}, SynthesisError),
        (TEXT, {"first_chunk_frames": 0}, SynthesisError),
        (TEXT, {"first_chunk_frames": 32, "chunk_frames": 16}, SynthesisError),
    ],
)
def test_bad_requests_fail_when_the_stream_is_asked_for(voice, text, options, error):
    with pytest.raises(error):
        voice.stream(text, **options)  # not iterated: the error comes before any audio
