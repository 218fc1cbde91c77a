"""Model and text options that let an imported voice compute what its source computed; off by default."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from polyvox.voice_file import VoiceMetadata
from polyvox.config import preset
from polyvox.fingerprint import component_fingerprint, config_fingerprint
from polyvox.models.decoders.resblock import SingleConvResidualBlock
from polyvox.models.flow import ResidualCouplingFlow
from polyvox.models.stochastic_duration import StochasticDurationPredictor
from polyvox.models.text_encoder import TextEncoder
from polyvox.models.vits import VitsGenerator
from polyvox.text import SymbolTable, Token, to_ids

TINY = preset("tiny")
OPTIONS = {
    "text.sequence_layout": "piper", "text.token_unit": "codepoint", "model.duration.rounding": "ceil",
    "model.duration.log_duration_offset": 0.0, "model.decoder.resblock_type": "2", "model.flow.type": "transformer",
}


def test_defaults_keep_fingerprints_and_options_enter_them():
    fingerprint = config_fingerprint(preset("small"))
    assert not any(field in fingerprint for field in OPTIONS)
    assert "model.decoder.output_leaky_relu_slope" not in fingerprint
    changed = config_fingerprint(TINY.replace(**OPTIONS))
    assert {field: changed[field] for field in OPTIONS} == OPTIONS


def test_id_layouts():
    table = SymbolTable.base().extend(["a", "b", "ab"])
    a, b = table.id_of("a"), table.id_of("b")
    tokens = [Token("a", "en"), Token("b", "en")]
    assert to_ids(tokens, table, True, {"en": 0})[0] == [0, 1, 0, a, 0, b, 0, 2, 0]
    assert to_ids(tokens, table, True, {"en": 0}, "piper")[0] == [1, 0, a, 0, b, 0, 2]
    assert to_ids(tokens, table, True, {"en": 0}, "vits")[0] == [0, a, 0, b, 0]
    assert to_ids(tokens, table, False, {"en": 0}, "vits")[0] == [a, b]
    # Code points: "ab" is read as "a", "b".
    assert to_ids([Token("ab", "en")], table, True, {"en": 0}, "piper", split_codepoints=True)[0] == [1, 0, a, 0, b, 0, 2]


def test_single_conv_residual_block_is_hifigan_resblock2():
    torch.manual_seed(0)
    block = SingleConvResidualBlock(4, 3, (1, 3))
    hidden = torch.randn(1, 4, 20)
    expected = hidden
    for conv, dilation in zip(block.convs, (1, 3)):
        expected = expected + F.conv1d(F.leaky_relu(expected, 0.1), conv.weight, conv.bias, padding=dilation, dilation=dilation)
    assert torch.allclose(block(hidden), expected, atol=1e-6)


class FixedLogDurations(nn.Module):
    def __init__(self, values: Tensor) -> None:
        super().__init__()
        self.values = values

    def forward(self, text_hidden: Tensor, text_mask: Tensor, speaker: Tensor | None = None) -> Tensor:
        return self.values * text_mask


def _durations(config_overrides: dict, log_durations: Tensor) -> Tensor:
    config = TINY.replace(**config_overrides)
    generator = VitsGenerator(config.model, 10, 1, config.audio.n_mels, config.audio.hop_length).eval()
    generator.duration_predictor = FixedLogDurations(log_durations)
    mask = torch.ones(1, 1, log_durations.shape[-1])
    return generator.predict_durations(torch.zeros(1, 16, log_durations.shape[-1]), mask, None, torch.tensor([1.5]), 0.0)


def test_vits_duration_convention():
    log_durations = torch.log(torch.tensor([[[0.2, 1.4, 2.5, 3.0]]]))
    frames = torch.exp(log_durations) * 1.5
    vits = _durations({"model.duration.log_duration_offset": 0.0, "model.duration.rounding": "ceil"}, log_durations)
    assert torch.equal(vits, torch.ceil(frames).squeeze(1))
    polyvox = _durations({}, log_durations)  # log(frames + 1), running total rounded
    boundaries = torch.round(torch.cumsum(((torch.exp(log_durations) - 1).clamp(min=0) * 1.5).squeeze(1), dim=1))
    assert torch.equal(polyvox, torch.diff(boundaries, prepend=torch.zeros(1, 1)))


def test_sampled_durations_do_not_depend_on_the_first_coupling():
    """VITS drops the stochastic predictor's first coupling when sampling; it only moves the auxiliary channel,
    so polyvox, which keeps it, samples the same durations."""
    torch.manual_seed(0)
    hidden, mask, noise = torch.randn(1, 16, 6), torch.ones(1, 1, 6), torch.randn(1, 2, 6)
    predictor = StochasticDurationPredictor(16, TINY.model.duration, 0).eval()
    for parameter in predictor.parameters():
        parameter.data.normal_(0, 0.1)
    before = predictor.infer(hidden, mask, noise=noise)
    predictor.flows[1].output_projection.bias.data.add_(1.0)
    assert torch.equal(predictor.infer(hidden, mask, noise=noise), before)
    predictor.flows[3].output_projection.bias.data.add_(1.0)
    assert not torch.equal(predictor.infer(hidden, mask, noise=noise), before)


def test_speaker_conditioned_text_encoder_adds_the_speaker_before_its_layer():
    config = TINY.model.text_encoder.__class__(hidden_channels=16, filter_channels=32, n_layers=2, language_channels=4, speaker_condition_layer=0)
    torch.manual_seed(0)
    conditioned = TextEncoder(10, 1, 8, config, speaker_channels=6).eval()
    plain = TextEncoder(10, 1, 8, config.__class__(**{**config.__dict__, "speaker_condition_layer": None})).eval()
    plain.load_state_dict({name: value for name, value in conditioned.state_dict().items() if "speaker_projection" not in name})
    speaker = torch.randn(1, 6, 1)
    with torch.no_grad():
        plain.language_projection.bias += conditioned.speaker_projection(speaker[:, :, 0])[0]
    ids, lengths = torch.tensor([[1, 4, 5, 2]]), torch.tensor([4])
    expected = plain(ids, torch.zeros_like(ids), lengths)
    assert torch.allclose(conditioned(ids, torch.zeros_like(ids), lengths, speaker).hidden, expected.hidden, atol=1e-5)
    assert not torch.allclose(conditioned(ids, torch.zeros_like(ids), lengths, -speaker).hidden, expected.hidden, atol=1e-3)


def test_transformer_flow_is_invertible_and_reads_the_speaker():
    config = TINY.replace(**{"model.flow.type": "transformer", "model.flow.n_layers": 3, "model.flow.filter_channels": 32,
                             "model.flow.speaker_condition_layer": 2}).model
    torch.manual_seed(0)
    flow = ResidualCouplingFlow(config.inter_channels, config.flow, config.speaker_channels).eval()
    for coupling in flow.couplings:
        coupling.output_projection.weight.data.normal_(0, 0.1)  # zero at initialisation: the identity
    latent, mask, speaker = torch.randn(2, 8, 12), torch.ones(2, 1, 12), torch.randn(2, 8, 1)
    mask[1, :, 9:] = 0
    latent = latent * mask
    forward = flow(latent, mask, speaker)
    assert torch.allclose(flow(forward, mask, speaker, reverse=True), latent, atol=1e-5)
    assert not torch.allclose(flow(latent, mask, -speaker), forward, atol=1e-4)


def test_imported_options_survive_the_voice_file(tmp_path):
    from polyvox.voice_file import read_metadata, save_voice

    config = TINY.replace(**OPTIONS)
    metadata = VoiceMetadata(config, SymbolTable.base(), ("en",), ("a",), {})
    generator = VitsGenerator(config.model, len(metadata.symbols), 1, config.audio.n_mels, config.audio.hop_length)
    saved = read_metadata(save_voice(tmp_path / "voice.safetensors", generator.state_dict(), metadata))
    assert saved.config == config and component_fingerprint(saved) == component_fingerprint(metadata)
