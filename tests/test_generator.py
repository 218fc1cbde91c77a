"""ESPnet-style "trainable and decodable" checks on tiny configs, for each decoder."""

import pytest
import torch

from polyvox.voice_file import VoiceMetadata, save_voice
from polyvox.config import preset
from polyvox.inference.voice import Voice
from polyvox.models.vits import VitsGenerator
from polyvox.text.symbols import SymbolTable
from polyvox.train.losses import kl_loss
from tiny_voices import ISTFT


def tiny_config(decoder: str):
    config = preset("tiny", ("en", "es"), n_speakers=2)
    return config.replace(**ISTFT) if decoder == "istft" else config


def random_batch(config, text_lengths=(5, 3), frame_lengths=(24, 11)):
    torch.manual_seed(0)
    batch = len(text_lengths)
    text_len, frames = max(text_lengths), max(frame_lengths)
    return dict(
        phoneme_ids=torch.randint(4, 12, (batch, text_len)),
        language_ids=torch.randint(0, 2, (batch, text_len)),
        text_lengths=torch.tensor(text_lengths),
        mel=torch.randn(batch, config.audio.n_mels, frames),
        mel_lengths=torch.tensor(frame_lengths),
        speaker_ids=torch.tensor([0, 1][:batch]),
    )


@pytest.mark.parametrize("decoder", ["hifigan", "istft"])
def test_generator_is_trainable_and_decodable(decoder):
    config = tiny_config(decoder)
    generator = VitsGenerator(config.model, n_symbols=12, n_languages=2, n_mels=config.audio.n_mels, hop_length=config.audio.hop_length)
    batch = random_batch(config)
    optimizer = torch.optim.Adam(generator.parameters(), lr=2e-3)
    losses = []
    for _ in range(15):
        output = generator(**batch, segment_frames=8)
        assert output.waveform_segment.shape == (2, 1, 8 * config.audio.hop_length)
        assert output.path.sum(dim=(1, 2)).tolist() == [24, 11]  # every valid frame aligned once
        loss = output.duration_loss + kl_loss(
            output.flow_latent, output.posterior_log_scales, output.prior_means, output.prior_log_scales, output.frame_mask
        )
        loss = loss + output.waveform_segment.abs().mean()
        assert torch.isfinite(loss)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    synthesis = generator.eval().synthesize(
        batch["phoneme_ids"], batch["language_ids"], batch["text_lengths"], batch["speaker_ids"], noise_scale=0.0
    )
    frames = synthesis.durations.sum(dim=1)
    assert torch.all(frames >= 1)
    assert synthesis.sample_lengths.tolist() == (frames * config.audio.hop_length).long().tolist()
    assert torch.isfinite(synthesis.waveform).all()


def test_known_durations_replace_alignment_search():
    config = tiny_config("hifigan")
    generator = VitsGenerator(config.model, 12, 2, config.audio.n_mels, config.audio.hop_length)
    batch = random_batch(config, text_lengths=(3, 2), frame_lengths=(6, 4))
    durations = torch.tensor([[1, 0, 5], [3, 1, 0]])
    output = generator(**batch, segment_frames=4, durations=durations, has_durations=torch.tensor([True, False]))
    assert output.path[0].sum(dim=1).tolist() == [1, 0, 5]
    assert output.path[1].sum().item() == 4


@pytest.mark.parametrize("decoder", ["hifigan", "istft"])
def test_save_load_gives_identical_output(tmp_path, decoder):
    config = tiny_config(decoder)
    symbols = SymbolTable.from_sequences([["h", "ə", "l", "oʊ"], ["o", "l", "a"]])
    config = config.replace(**{"text.languages": ["en", "es"]})
    metadata = VoiceMetadata(config=config, symbols=symbols, languages=("en", "es"), speakers=("en_a", "es_b"), info={})
    torch.manual_seed(1)
    generator = VitsGenerator(config.model, len(symbols), 2, config.audio.n_mels, config.audio.hop_length).eval()
    path = save_voice(tmp_path / "voice.safetensors", generator.state_dict(), metadata)
    voice = Voice.load(path)
    assert voice.languages == ("en", "es") and voice.speakers == ("en_a", "es_b")
    ids = torch.tensor([[1, 4, 5, 2]])
    languages = torch.zeros_like(ids)
    expected = generator.synthesize(ids, languages, torch.tensor([4]), torch.tensor([1]), noise_scale=0.0)
    loaded = voice.generator.synthesize(ids, languages, torch.tensor([4]), torch.tensor([1]), noise_scale=0.0)
    torch.testing.assert_close(loaded.waveform, expected.waveform, atol=1e-5, rtol=1e-4)
