import torch

from polyvox.audio.features import MelSpectrogram
from polyvox.config import AudioConfig, preset
from polyvox.models.flow import ResidualCouplingFlow
from polyvox.models.text_encoder import TextEncoder
from polyvox.models.vits import prior_log_likelihood, slice_segments


def test_flow_is_invertible():
    torch.manual_seed(0)
    model = preset("tiny").model
    flow = ResidualCouplingFlow(model.inter_channels, model.flow, model.speaker_channels)
    # Randomise the zero-initialised output layers so the test exercises a non-identity flow.
    for coupling in flow.couplings:
        torch.nn.init.normal_(coupling.output_projection.weight, std=0.5)
    latent = torch.randn(2, model.inter_channels, 23)
    mask = torch.ones(2, 1, 23)
    mask[1, :, 15:] = 0
    speaker = torch.randn(2, model.speaker_channels, 1)
    forward = flow(latent * mask, mask, speaker)
    assert not torch.allclose(forward, latent * mask)
    back = flow(forward, mask, speaker, reverse=True)
    torch.testing.assert_close(back, latent * mask, atol=1e-5, rtol=1e-5)


def test_text_encoder_handles_one_token_and_masks_padding():
    torch.manual_seed(0)
    config = preset("tiny").model
    encoder = TextEncoder(n_symbols=10, n_languages=2, out_channels=config.inter_channels, config=config.text_encoder).eval()
    ids = torch.tensor([[4, 0, 0], [4, 5, 6]])
    languages = torch.tensor([[1, 1, 1], [0, 1, 0]])
    output = encoder(ids, languages, torch.tensor([1, 3]))
    assert output.hidden.shape == (2, config.text_encoder.hidden_channels, 3)
    assert output.prior_means.shape == (2, config.inter_channels, 3)
    assert torch.all(output.prior_means[0, :, 1:] == 0)
    # Padding must not leak into the valid positions.
    alone = encoder(ids[:1, :1], languages[:1, :1], torch.tensor([1]))
    torch.testing.assert_close(alone.prior_means[0, :, 0], output.prior_means[0, :, 0], atol=1e-5, rtol=1e-5)


def test_language_id_changes_the_encoding():
    torch.manual_seed(0)
    config = preset("tiny").model
    encoder = TextEncoder(10, 2, config.inter_channels, config.text_encoder).eval()
    ids = torch.tensor([[4, 5]])
    first = encoder(ids, torch.tensor([[0, 0]]), torch.tensor([2])).prior_means
    second = encoder(ids, torch.tensor([[1, 1]]), torch.tensor([2])).prior_means
    assert not torch.allclose(first, second)


def test_prior_log_likelihood_matches_direct_gaussian():
    torch.manual_seed(0)
    latent = torch.randn(2, 4, 6)
    means = torch.randn(2, 4, 3)
    log_scales = torch.randn(2, 4, 3) * 0.3
    fast = prior_log_likelihood(latent, means, log_scales)
    distribution = torch.distributions.Normal(means.unsqueeze(-1), torch.exp(log_scales).unsqueeze(-1))
    direct = distribution.log_prob(latent.unsqueeze(2)).sum(dim=1)
    torch.testing.assert_close(fast, direct, atol=1e-4, rtol=1e-4)


def test_slice_segments_pads_past_the_end():
    sequence = torch.arange(10.0).view(1, 1, 10).repeat(2, 1, 1)
    segments = slice_segments(sequence, torch.tensor([0, 7]), 5)
    assert segments[0, 0].tolist() == [0, 1, 2, 3, 4]
    assert segments[1, 0].tolist() == [7, 8, 9, 0, 0]


def test_mel_frames_are_samples_over_hop_and_silence_is_finite():
    config = AudioConfig()
    mel = MelSpectrogram(config)
    for samples in (1, 256, 257, 5000):
        output = mel(torch.zeros(1, samples))
        assert output.shape == (1, config.n_mels, samples // config.hop_length)
        assert torch.isfinite(output).all()
