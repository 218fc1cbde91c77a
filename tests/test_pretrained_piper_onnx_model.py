"""A tiny Piper voice written out in the tests: VITS's inference path under Piper's module names, exported as Piper does.

Written from VITS's published equations for these tests (no code of Piper's); only the spline is polyvox's.
The export mirrors Piper's ``export_onnx``: weight norm removed from the decoder (the flows keep theirs, so the
exporter folds it into anonymous initializers), opset 15, inputs ``input, input_lengths, scales[, sid]``, and the
input name list always ending with ``sid`` (in a single-speaker graph the exporter gives that name to the symbol
table, as in Piper's released voices).
"""

from __future__ import annotations

import io
import json
import math
import warnings
from pathlib import Path

import torch
from torch import Tensor, nn
from torch.nn import functional as F
from torch.nn.utils.parametrizations import weight_norm

from polyvox.models.splines import rational_quadratic_spline

HIDDEN, INTER, FILTERS, HEADS, LAYERS, WINDOW = 16, 16, 32, 2, 2, 4
N_SYMBOLS, SPEAKER_CHANNELS = 40, 8
RATES, KERNELS, INITIAL = (8, 8, 4), (16, 16, 8), 32
BLOCK_KERNELS, BLOCK_DILATIONS = (3, 5, 7), ((1, 2), (2, 6), (3, 12))
SPLINE_BINS, TAIL_BOUND, DDS_KERNEL = 10, 5.0, 3
# Sampled durations start near this many frames per token (the affine flow's shift), so sentences have a length.
FRAMES_PER_TOKEN = 3.0


def mask_of(lengths: Tensor, length: int | Tensor) -> Tensor:
    return (torch.arange(length)[None, :] < lengths[:, None]).float()


def layer_norm(norm: nn.Module, x: Tensor) -> Tensor:
    return F.layer_norm(x.transpose(1, -1), tuple(norm.gamma.shape), norm.gamma, norm.beta, 1e-5).transpose(1, -1)


class ChannelNorm(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.gamma, self.beta = nn.Parameter(1 + 0.1 * torch.randn(channels)), nn.Parameter(0.1 * torch.randn(channels))


class Attention(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv_q, self.conv_k, self.conv_v, self.conv_o = (nn.Conv1d(HIDDEN, HIDDEN, 1) for _ in range(4))
        head = HIDDEN // HEADS
        self.emb_rel_k = nn.Parameter(torch.randn(1, 2 * WINDOW + 1, head) * head**-0.5)
        self.emb_rel_v = nn.Parameter(torch.randn(1, 2 * WINDOW + 1, head) * head**-0.5)

    @staticmethod
    def _relative(table: Tensor, length: int) -> Tensor:
        """(1, 2*length - 1, head): the table's rows for offsets -(length - 1) .. length - 1, zero beyond the window.

        Padding by ``length`` on both sides puts offset -(length - 1) at row WINDOW + 1 for any length (traced, not fixed)."""
        return F.pad(table, (0, 0, length, length))[:, WINDOW + 1 : WINDOW + 2 * length]

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        batch, channels, length = x.shape
        head = channels // HEADS

        def heads(y: Tensor) -> Tensor:
            return y.view(batch, HEADS, head, length).transpose(2, 3)

        query, key, value = heads(self.conv_q(x)) / math.sqrt(head), heads(self.conv_k(x)), heads(self.conv_v(x))
        scores = torch.matmul(query, key.transpose(-2, -1))
        relative = torch.matmul(query, self._relative(self.emb_rel_k, length).unsqueeze(0).transpose(-2, -1))
        # (b, h, l, 2l-1) relative -> (b, h, l, l) absolute, by padding and reshaping
        flat = F.pad(F.pad(relative, (0, 1)).view(batch, HEADS, 2 * length * length), (0, length - 1))
        scores = scores + flat.view(batch, HEADS, length + 1, 2 * length - 1)[:, :, :length, length - 1 :]
        weights = torch.softmax(scores.masked_fill(mask == 0, -1e4), dim=-1)
        output = torch.matmul(weights, value)
        # (b, h, l, l) absolute -> (b, h, l, 2l-1) relative
        flat = F.pad(F.pad(weights, (0, length - 1)).view(batch, HEADS, length * (2 * length - 1)), (length, 0))
        relative_weights = flat.view(batch, HEADS, length, 2 * length)[:, :, :, 1:]
        output = output + torch.matmul(relative_weights, self._relative(self.emb_rel_v, length).unsqueeze(0))
        return self.conv_o(output.transpose(2, 3).contiguous().view(batch, channels, length))


class FeedForward(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv_1, self.conv_2 = nn.Conv1d(HIDDEN, FILTERS, 3), nn.Conv1d(FILTERS, HIDDEN, 3)

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        x = torch.relu(self.conv_1(F.pad(x * mask, (1, 1))))
        return self.conv_2(F.pad(x * mask, (1, 1))) * mask


class Encoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.attn_layers = nn.ModuleList(Attention() for _ in range(LAYERS))
        self.norm_layers_1 = nn.ModuleList(ChannelNorm(HIDDEN) for _ in range(LAYERS))
        self.ffn_layers = nn.ModuleList(FeedForward() for _ in range(LAYERS))
        self.norm_layers_2 = nn.ModuleList(ChannelNorm(HIDDEN) for _ in range(LAYERS))

    def forward(self, x: Tensor, mask: Tensor) -> Tensor:
        attention_mask = mask.unsqueeze(2) * mask.unsqueeze(-1)
        x = x * mask
        for attention, norm_1, ffn, norm_2 in zip(self.attn_layers, self.norm_layers_1, self.ffn_layers, self.norm_layers_2):
            x = layer_norm(norm_1, x + attention(x, attention_mask))
            x = layer_norm(norm_2, x + ffn(x, mask))
        return x * mask


class TextEncoder(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.emb = nn.Embedding(N_SYMBOLS, HIDDEN)
        self.encoder = Encoder()
        self.proj = nn.Conv1d(HIDDEN, 2 * INTER, 1)

    def forward(self, ids: Tensor, lengths: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
        x = (self.emb(ids) * math.sqrt(HIDDEN)).transpose(1, 2)
        mask = mask_of(lengths, ids.shape[1]).unsqueeze(1)
        x = self.encoder(x * mask, mask)
        means, log_scales = torch.split(self.proj(x) * mask, INTER, dim=1)
        return x, means, log_scales, mask


class DilatedConvs(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.convs_sep = nn.ModuleList(
            nn.Conv1d(channels, channels, DDS_KERNEL, groups=channels, dilation=DDS_KERNEL**i, padding=DDS_KERNEL**i) for i in range(3)
        )
        self.convs_1x1 = nn.ModuleList(nn.Conv1d(channels, channels, 1) for _ in range(3))
        self.norms_1 = nn.ModuleList(ChannelNorm(channels) for _ in range(3))
        self.norms_2 = nn.ModuleList(ChannelNorm(channels) for _ in range(3))

    def forward(self, x: Tensor, mask: Tensor, condition: Tensor | None = None) -> Tensor:
        if condition is not None:
            x = x + condition
        for sep, pointwise, norm_1, norm_2 in zip(self.convs_sep, self.convs_1x1, self.norms_1, self.norms_2):
            y = F.gelu(layer_norm(norm_1, sep(x * mask)))
            x = x + F.gelu(layer_norm(norm_2, pointwise(y)))
        return x * mask


class Affine(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.m = nn.Parameter(torch.tensor([[-math.log(FRAMES_PER_TOKEN)], [0.1]]))
        self.logs = nn.Parameter(torch.tensor([[0.05], [-0.1]]))

    def forward(self, x: Tensor, mask: Tensor, condition: Tensor) -> Tensor:
        return (x - self.m) * torch.exp(-self.logs) * mask


class Flip(nn.Module):
    def forward(self, x: Tensor, mask: Tensor, condition: Tensor | None = None) -> Tensor:
        return torch.flip(x, [1])


class SplineFlow(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.pre = nn.Conv1d(1, HIDDEN, 1)
        self.convs = DilatedConvs(HIDDEN)
        self.proj = nn.Conv1d(HIDDEN, 3 * SPLINE_BINS - 1, 1)

    def forward(self, x: Tensor, mask: Tensor, condition: Tensor) -> Tensor:
        first, second = torch.split(x, [1, 1], dim=1)
        h = self.proj(self.convs(self.pre(first), mask, condition)) * mask
        batch, _, length = first.shape
        h = h.reshape(batch, 1, -1, length).permute(0, 1, 3, 2)
        scale = math.sqrt(HIDDEN)
        second, _ = rational_quadratic_spline(
            second, h[..., :SPLINE_BINS] / scale, h[..., SPLINE_BINS : 2 * SPLINE_BINS] / scale, h[..., 2 * SPLINE_BINS :],
            inverse=True, tail_bound=TAIL_BOUND,
        )
        return torch.cat([first, second], dim=1) * mask


class StochasticDuration(nn.Module):
    def __init__(self, speakers: bool) -> None:
        super().__init__()
        self.pre, self.proj = nn.Conv1d(HIDDEN, HIDDEN, 1), nn.Conv1d(HIDDEN, HIDDEN, 1)
        self.convs = DilatedConvs(HIDDEN)
        self.flows = nn.ModuleList([Affine(), SplineFlow(), Flip(), SplineFlow(), Flip(), SplineFlow(), Flip(), SplineFlow(), Flip()])
        if speakers:
            self.cond = nn.Conv1d(SPEAKER_CHANNELS, HIDDEN, 1)

    def forward(self, x: Tensor, mask: Tensor, speaker: Tensor | None, noise_scale: Tensor) -> Tensor:
        x = self.pre(x)
        if speaker is not None:
            x = x + self.cond(speaker)
        condition = self.proj(self.convs(x, mask)) * mask
        z = torch.randn(x.size(0), 2, x.size(2)) * noise_scale
        flows = list(reversed(self.flows))
        for flow in flows[:-2] + [flows[-1]]:  # sampling leaves out the first spline flow
            z = flow(z, mask, condition)
        return z[:, :1]


class WaveNet(nn.Module):
    def __init__(self, speakers: bool) -> None:
        super().__init__()
        self.in_layers = nn.ModuleList(weight_norm(nn.Conv1d(HIDDEN, 2 * HIDDEN, 5, padding=2)) for _ in range(4))
        self.res_skip_layers = nn.ModuleList(weight_norm(nn.Conv1d(HIDDEN, 2 * HIDDEN if i < 3 else HIDDEN, 1)) for i in range(4))
        if speakers:
            self.cond_layer = weight_norm(nn.Conv1d(SPEAKER_CHANNELS, 2 * HIDDEN * 4, 1))

    def forward(self, x: Tensor, mask: Tensor, speaker: Tensor | None) -> Tensor:
        output = torch.zeros_like(x)
        condition = self.cond_layer(speaker) if speaker is not None else None
        for index, (in_layer, res_skip) in enumerate(zip(self.in_layers, self.res_skip_layers)):
            a = in_layer(x)
            if condition is not None:
                a = a + condition[:, index * 2 * HIDDEN : (index + 1) * 2 * HIDDEN]
            acts = res_skip(torch.tanh(a[:, :HIDDEN]) * torch.sigmoid(a[:, HIDDEN:]))
            if index < 3:
                x = (x + acts[:, :HIDDEN]) * mask
                output = output + acts[:, HIDDEN:]
            else:
                output = output + acts
        return output * mask


class Coupling(nn.Module):
    def __init__(self, speakers: bool) -> None:
        super().__init__()
        self.pre, self.enc, self.post = nn.Conv1d(INTER // 2, HIDDEN, 1), WaveNet(speakers), nn.Conv1d(HIDDEN, INTER // 2, 1)

    def forward(self, x: Tensor, mask: Tensor, speaker: Tensor | None) -> Tensor:
        first, second = torch.split(x, [INTER // 2] * 2, dim=1)
        means = self.post(self.enc(self.pre(first) * mask, mask, speaker)) * mask
        return torch.cat([first, (second - means) * mask], dim=1)


class Flow(nn.Module):
    def __init__(self, speakers: bool) -> None:
        super().__init__()
        self.flows = nn.ModuleList(module for _ in range(4) for module in (Coupling(speakers), Flip()))

    def forward(self, x: Tensor, mask: Tensor, speaker: Tensor | None) -> Tensor:
        for flow in reversed(self.flows):
            x = flow(x, mask, speaker)
        return x


class Decoder(nn.Module):
    """HiFi-GAN with the lighter residual block (Piper's medium voices), weight norm already removed."""

    def __init__(self, speakers: bool) -> None:
        super().__init__()
        self.conv_pre = nn.Conv1d(INTER, INITIAL, 7, padding=3)
        self.ups = nn.ModuleList(
            nn.ConvTranspose1d(INITIAL // 2**i, INITIAL // 2 ** (i + 1), kernel, rate, padding=(kernel - rate) // 2)
            for i, (rate, kernel) in enumerate(zip(RATES, KERNELS))
        )
        self.resblocks = nn.ModuleList(
            nn.ModuleDict({"convs": nn.ModuleList(self._conv(INITIAL // 2 ** (i + 1), kernel, d) for d in dilations)})
            for i in range(len(RATES)) for kernel, dilations in zip(BLOCK_KERNELS, BLOCK_DILATIONS)
        )
        self.conv_post = nn.Conv1d(INITIAL // 2 ** len(RATES), 1, 7, padding=3, bias=False)
        if speakers:
            self.cond = nn.Conv1d(SPEAKER_CHANNELS, INITIAL, 1)

    @staticmethod
    def _conv(channels: int, kernel: int, dilation: int) -> nn.Conv1d:
        return nn.Conv1d(channels, channels, kernel, dilation=dilation, padding=(kernel * dilation - dilation) // 2)

    def forward(self, x: Tensor, speaker: Tensor | None) -> Tensor:
        x = self.conv_pre(x)
        if speaker is not None:
            x = x + self.cond(speaker)
        n_kernels = len(BLOCK_KERNELS)
        for index, up in enumerate(self.ups):
            x = up(F.leaky_relu(x, 0.1))
            total = 0
            for block in self.resblocks[index * n_kernels : (index + 1) * n_kernels]:
                y = x
                for conv in block["convs"]:
                    y = conv(F.leaky_relu(y, 0.1)) + y
                total = total + y
            x = total / n_kernels
        return torch.tanh(self.conv_post(F.leaky_relu(x)))


class TinyPiperVoice(nn.Module):
    """Inputs and output as Piper's exported graph: (ids, lengths, [noise_scale, length_scale, noise_w], sid) -> audio."""

    def __init__(self, n_speakers: int = 1, seed: int = 0) -> None:
        super().__init__()
        torch.manual_seed(seed)
        speakers = n_speakers > 1
        self.enc_p, self.dp, self.flow, self.dec = TextEncoder(), StochasticDuration(speakers), Flow(speakers), Decoder(speakers)
        if speakers:
            self.emb_g = nn.Embedding(n_speakers, SPEAKER_CHANNELS)
        with torch.no_grad():  # weights large enough that every part shapes the output
            for name, parameter in self.named_parameters():
                if name.endswith(("bias", "original0")):
                    parameter.copy_(0.1 * torch.randn_like(parameter))

    def forward(self, input: Tensor, input_lengths: Tensor, scales: Tensor, sid: Tensor | None = None) -> Tensor:
        noise_scale, length_scale, noise_w = scales[0], scales[1], scales[2]
        hidden, means, log_scales, text_mask = self.enc_p(input, input_lengths)
        speaker = self.emb_g(sid).unsqueeze(-1) if sid is not None else None
        log_frames = self.dp(hidden, text_mask, speaker, noise_w)
        frames = torch.ceil(torch.exp(log_frames) * text_mask * length_scale)
        frame_lengths = torch.clamp_min(torch.sum(frames, [1, 2]), 1).long()
        frame_mask = mask_of(frame_lengths, frame_lengths.max()).unsqueeze(1)
        ends = torch.cumsum(frames.squeeze(1), -1)  # (batch, tokens)
        path = mask_of(ends.reshape(-1), frame_lengths.max()).view(input.shape[0], input.shape[1], -1)
        path = (path - F.pad(path, (0, 0, 1, 0))[:, :-1]) * text_mask.transpose(1, 2) * frame_mask  # (batch, tokens, frames)
        means, log_scales = torch.matmul(means, path), torch.matmul(log_scales, path)
        latent = means + torch.randn_like(means) * torch.exp(log_scales) * noise_scale
        latent = self.flow(latent, frame_mask, speaker)
        return self.dec(latent * frame_mask, speaker).unsqueeze(1)


def phoneme_id_map() -> dict[str, list[int]]:
    """Piper's reserved ids, then letters at scattered ids (ids 36-39 have no symbol)."""
    id_map = {"_": [0], "^": [1], "$": [2], " ": [3], "!": [4], ",": [5], ".": [6], "?": [7]}
    for offset, letter in enumerate("abdefhiklmnoprstuvwzæðŋɐɑɔəɛɪʊ"):
        if 8 + offset < 36:
            id_map[letter] = [8 + offset]
    return id_map


def voice_json(n_speakers: int, sample_rate: int = 22050) -> dict:
    return {
        "dataset": "tiny", "audio": {"sample_rate": sample_rate, "quality": "medium"}, "espeak": {"voice": "en-us"},
        "inference": {"noise_scale": 0.667, "length_scale": 1, "noise_w": 0.8}, "phoneme_type": "espeak", "phoneme_map": {},
        "phoneme_id_map": phoneme_id_map(), "num_symbols": N_SYMBOLS, "num_speakers": n_speakers,
        "speaker_id_map": {f"speaker_{index}": index for index in range(n_speakers)} if n_speakers > 1 else {}, "piper_version": "1.0.0",
    }


def export_tiny_piper(folder: Path, n_speakers: int = 1, sample_rate: int = 22050, seed: int = 0) -> tuple[Path, TinyPiperVoice]:
    """``folder/en_US-tiny-medium.onnx`` and its ``.onnx.json``, as Piper's export writes them; returns the model too."""
    folder.mkdir(parents=True, exist_ok=True)
    model = TinyPiperVoice(n_speakers, seed).eval()
    ids = torch.tensor([[1, 0, 20, 0, 12, 0, 30, 0, 2]])
    args = (ids, torch.tensor([ids.shape[1]]), torch.tensor([0.667, 1.0, 0.8]))
    if n_speakers > 1:
        args = (*args, torch.tensor([1]))
    buffer = io.BytesIO()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes about Python values and constant folding
        torch.onnx.export(
            model, args, buffer, dynamo=False, opset_version=15, input_names=["input", "input_lengths", "scales", "sid"], output_names=["output"],
            dynamic_axes={"input": {0: "batch_size", 1: "phonemes"}, "input_lengths": {0: "batch_size"}, "output": {0: "batch_size", 3: "time"}},
        )
    path = folder / "en_US-tiny-medium.onnx"
    path.write_bytes(buffer.getvalue())
    (folder / "en_US-tiny-medium.onnx.json").write_text(json.dumps(voice_json(n_speakers, sample_rate), ensure_ascii=False), encoding="utf-8")
    return path, model


def test_the_exported_graph_computes_the_model(tmp_path):
    """The fixture itself: onnxruntime on the export gives the model's own output (without noise)."""
    import onnxruntime

    path, model = export_tiny_piper(tmp_path, n_speakers=3)
    ids = torch.tensor([[1, 0, 9, 0, 14, 0, 22, 0, 11, 0, 2]])
    scales = torch.tensor([0.0, 1.0, 0.0])
    with torch.no_grad():
        expected = model(ids, torch.tensor([11]), scales, torch.tensor([2])).numpy()
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    (audio,) = session.run(None, {"input": ids.numpy(), "input_lengths": [11], "scales": scales.numpy(), "sid": [2]})
    assert audio.shape == expected.shape and audio.shape[-1] > 11 * 256
    assert abs(audio - expected).max() < 1e-5
