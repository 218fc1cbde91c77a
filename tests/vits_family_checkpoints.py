"""Small generator checkpoints laid out as VITS, Piper and MeloTTS write them (names, shapes, weight-norm spelling).

Each tensor is recorded with the polyvox tensor it must land in, written out here independently of
``polyvox.pretrained.names``, so the tests check the importer against this list.
"""

from __future__ import annotations

import json
import pathlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import torch
from torch import Tensor

WeightNormStyle = Literal["weight_g", "parametrizations"]
G, V = "parametrizations.weight.original0", "parametrizations.weight.original1"


@dataclass
class Layout:
    weight_norm: WeightNormStyle
    seed: int = 0
    tensors: dict[str, Tensor] = field(default_factory=dict)
    # (source name, polyvox name): plain tensors that must arrive unchanged (up to a leading axis of 1).
    params: list[tuple[str, str]] = field(default_factory=list)
    # (source module, polyvox module): the computed weight and the bias must be equal.
    modules: list[tuple[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.rng = torch.Generator().manual_seed(self.seed)

    def random(self, *shape: int) -> Tensor:
        return torch.randn(*shape, generator=self.rng) * 0.1

    def param(self, source: str, target: str | None, *shape: int) -> None:
        self.tensors[source] = self.random(*shape)
        if target is not None:
            self.params.append((source, target))

    def conv(self, source: str, target: str | None, out: int, inp: int, kernel: int, normed: bool = False, bias: bool = True, transpose: bool = False) -> None:
        shape = (inp, out, kernel) if transpose else (out, inp, kernel)
        if normed and self.weight_norm == "weight_g":
            self.tensors[f"{source}.weight_g"] = self.random(shape[0], 1, 1).abs() + 0.1
            self.tensors[f"{source}.weight_v"] = self.random(*shape)
        elif normed:
            self.tensors[f"{source}.{G}"] = self.random(shape[0], 1, 1).abs() + 0.1
            self.tensors[f"{source}.{V}"] = self.random(*shape)
        else:
            self.tensors[f"{source}.weight"] = self.random(*shape)
        if bias:
            self.tensors[f"{source}.bias"] = self.random(out)
        if target is not None:
            self.modules.append((source, target))

    def norm(self, source: str, target: str, channels: int) -> None:
        self.param(f"{source}.gamma", f"{target}.weight", channels)
        self.param(f"{source}.beta", f"{target}.bias", channels)

    def wavenet(self, source: str, target: str, hidden: int, kernel: int, layers: int, gin: int) -> None:
        for layer in range(layers):
            self.conv(f"{source}.in_layers.{layer}", f"{target}.input_convs.{layer}", 2 * hidden, hidden, kernel, normed=True)
            out = 2 * hidden if layer < layers - 1 else hidden
            self.conv(f"{source}.res_skip_layers.{layer}", f"{target}.residual_skip_convs.{layer}", out, hidden, 1, normed=True)
        if gin:
            self.conv(f"{source}.cond_layer", f"{target}.speaker_projection", 2 * hidden * layers, gin, 1, normed=True)

    def transformer(self, source: str, target: str, hidden: int, filters: int, heads: int, layers: int, kernel: int, gin: int = 0) -> None:
        if gin:
            self.param(f"{source}.spk_emb_linear.weight", f"{target}.speaker_projection.weight", hidden, gin)
            self.param(f"{source}.spk_emb_linear.bias", f"{target}.speaker_projection.bias", hidden)
        for layer in range(layers):
            attention, polyvox_attention = f"{source}.attn_layers.{layer}", f"{target}.attention_layers.{layer}"
            self.param(f"{attention}.emb_rel_k", f"{polyvox_attention}.relative_keys", 1, 9, hidden // heads)
            self.param(f"{attention}.emb_rel_v", f"{polyvox_attention}.relative_values", 1, 9, hidden // heads)
            for name, polyvox in (("conv_q", "query"), ("conv_k", "key"), ("conv_v", "value"), ("conv_o", "output")):
                self.conv(f"{attention}.{name}", f"{polyvox_attention}.{polyvox}", hidden, hidden, 1)
        for layer in range(layers):
            self.norm(f"{source}.norm_layers_1.{layer}", f"{target}.attention_norms.{layer}", hidden)
        for layer in range(layers):
            self.conv(f"{source}.ffn_layers.{layer}.conv_1", f"{target}.feed_forward_layers.{layer}.expand", filters, hidden, kernel)
            self.conv(f"{source}.ffn_layers.{layer}.conv_2", f"{target}.feed_forward_layers.{layer}.contract", hidden, filters, kernel)
        for layer in range(layers):
            self.norm(f"{source}.norm_layers_2.{layer}", f"{target}.feed_forward_norms.{layer}", hidden)

    def dilated_convs(self, source: str, target: str, channels: int) -> None:
        for layer in range(3):
            self.conv(f"{source}.convs_sep.{layer}", f"{target}.depthwise_convs.{layer}", channels, 1, 3)
            self.conv(f"{source}.convs_1x1.{layer}", f"{target}.pointwise_convs.{layer}", channels, channels, 1)
            self.norm(f"{source}.norms_1.{layer}", f"{target}.depthwise_norms.{layer}", channels)
            self.norm(f"{source}.norms_2.{layer}", f"{target}.pointwise_norms.{layer}", channels)

    def spline_flows(self, source: str, target: str, channels: int) -> None:
        self.param(f"{source}.0.m", f"{target}.0.shift", 2, 1)
        self.param(f"{source}.0.logs", f"{target}.0.log_scale", 2, 1)
        for index in (1, 3, 5, 7):
            self.conv(f"{source}.{index}.pre", f"{target}.{index}.input_projection", channels, 1, 1)
            self.dilated_convs(f"{source}.{index}.convs", f"{target}.{index}.convs", channels)
            self.conv(f"{source}.{index}.proj", f"{target}.{index}.output_projection", 29, channels, 1)

    def stochastic_duration(self, source: str, hidden: int, gin: int) -> None:
        # VITS builds this predictor as wide as the text encoder (its filter_channels argument is overridden).
        target = "stochastic_duration_predictor"
        self.spline_flows(f"{source}.flows", f"{target}.flows", hidden)
        self.conv(f"{source}.post_pre", f"{target}.duration_input_projection", hidden, 1, 1)
        self.conv(f"{source}.post_proj", f"{target}.duration_output_projection", hidden, hidden, 1)
        self.dilated_convs(f"{source}.post_convs", f"{target}.duration_convs", hidden)
        self.spline_flows(f"{source}.post_flows", f"{target}.posterior_flows", hidden)
        self.conv(f"{source}.pre", f"{target}.text_input_projection", hidden, hidden, 1)
        self.conv(f"{source}.proj", f"{target}.text_output_projection", hidden, hidden, 1)
        self.dilated_convs(f"{source}.convs", f"{target}.text_convs", hidden)
        if gin:
            self.conv(f"{source}.cond", f"{target}.speaker_projection", hidden, gin, 1)

    def deterministic_duration(self, source: str, hidden: int, gin: int) -> None:
        target = "duration_predictor"
        self.conv(f"{source}.conv_1", f"{target}.first_conv", 256, hidden, 3)
        self.norm(f"{source}.norm_1", f"{target}.first_norm", 256)
        self.conv(f"{source}.conv_2", f"{target}.second_conv", 256, 256, 3)
        self.norm(f"{source}.norm_2", f"{target}.second_norm", 256)
        self.conv(f"{source}.proj", f"{target}.output_projection", 1, 256, 1)
        if gin:
            self.conv(f"{source}.cond", f"{target}.speaker_projection", hidden, gin, 1)

    def decoder(self, inter: int, initial: int, rates: list[int], kernels: list[int], rb_kernels: list[int], rb_dilations: list[list[int]], resblock: str, gin: int) -> None:
        self.conv("dec.conv_pre", "decoder.conv_pre", initial, inter, 7)  # no weight norm in VITS: polyvox splits it
        channels = initial
        for index, (rate, kernel) in enumerate(zip(rates, kernels)):
            self.conv(f"dec.ups.{index}", f"decoder.ups.{index}", channels // 2, channels, kernel, normed=True, transpose=True)
            channels //= 2
        channels = initial
        block = 0
        for _ in rates:
            channels //= 2
            for kernel, dilations in zip(rb_kernels, rb_dilations):
                names = ("convs",) if resblock == "2" else ("convs1", "convs2")
                for name in names:
                    for position in range(len(dilations)):
                        self.conv(f"dec.resblocks.{block}.{name}.{position}", f"decoder.resblocks.{block}.{name}.{position}", channels, channels, kernel, normed=True)
                block += 1
        self.conv("dec.conv_post", "decoder.conv_post", 1, channels, 7, bias=False)
        if gin:
            self.conv("dec.cond", "decoder.cond", initial, gin, 1)

    def generator(self, *, n_vocab: int, inter: int, hidden: int, filters: int, heads: int, layers: int, spec: int, gin: int, n_speakers: int,
                  rates: list[int], kernels: list[int], initial: int, rb_kernels: list[int], rb_dilations: list[list[int]], resblock: str,
                  durations: dict[str, str], transformer_flow: bool = False, text_gin: int = 0) -> None:
        """The tensors of a VITS-family generator; ``durations`` maps the source's module names to "stochastic"/"deterministic"."""
        self.param("enc_p.emb.weight", None, n_vocab, hidden)
        self.transformer("enc_p.encoder", "text_encoder", hidden, filters, heads, layers, 3, gin=text_gin)
        self.conv("enc_p.proj", "text_encoder.stats_projection", 2 * inter, hidden, 1)
        self.decoder(inter, initial, rates, kernels, rb_kernels, rb_dilations, resblock, gin)
        self.conv("enc_q.pre", None, hidden, spec, 1)  # reads linear spectrograms: re-initialised in polyvox
        self.wavenet("enc_q.enc", "posterior_encoder.wavenet", hidden, 5, 16, gin)
        self.conv("enc_q.proj", "posterior_encoder.output_projection", 2 * inter, hidden, 1)
        for flow in range(4):
            source, target = f"flow.flows.{2 * flow}", f"flow.couplings.{flow}"
            self.conv(f"{source}.pre", f"{target}.input_projection", hidden, inter // 2, 1)
            if transformer_flow:
                self.transformer(f"{source}.enc", f"{target}.transformer", hidden, filters, heads, 3, 5, gin=gin)
            else:
                self.wavenet(f"{source}.enc", f"{target}.wavenet", hidden, 5, 4, gin)
            self.conv(f"{source}.post", f"{target}.output_projection", inter // 2, hidden, 1)
        for source, role in durations.items():
            if role == "stochastic":
                self.stochastic_duration(source, hidden, gin)
            else:
                self.deterministic_duration(source, hidden, gin)
        if n_speakers > 1:
            self.param("emb_g.weight", None, n_speakers, gin)


def computed_weight(tensors: dict[str, Tensor], module: str) -> Tensor:
    """The weight a module computes with, whichever way its checkpoint stores it."""
    if f"{module}.weight" in tensors:
        return tensors[f"{module}.weight"]
    if f"{module}.weight_g" in tensors:
        magnitude, direction = tensors[f"{module}.weight_g"], tensors[f"{module}.weight_v"]
    else:
        magnitude, direction = tensors[f"{module}.{G}"], tensors[f"{module}.{V}"]
    return magnitude * direction / direction.flatten(1).norm(dim=1).view(-1, *([1] * (direction.dim() - 1)))


def assert_lands_where_expected(layout: Layout, imported: dict[str, Tensor]) -> None:
    """Every recorded source tensor has the value it had in the source, under its polyvox name."""
    for source, target in layout.params:
        expected = layout.tensors[source]
        if expected.shape != imported[target].shape:
            expected = expected[0]
        assert torch.equal(imported[target], expected), f"{source} -> {target}"
    for source, target in layout.modules:
        assert torch.allclose(computed_weight(imported, target), computed_weight(layout.tensors, source), atol=1e-6), f"{source} -> {target}"
        if f"{source}.bias" in layout.tensors:
            assert torch.equal(imported[f"{target}.bias"], layout.tensors[f"{source}.bias"]), f"{source}.bias -> {target}.bias"


# --- whole checkpoints with their side files, as each project writes them -------------------------------------

ENGLISH = "Hello world. The cat sat on the mat."
SMALL = dict(inter=16, hidden=16, filters=32, heads=2, layers=2, rates=[8, 8, 4], kernels=[16, 16, 8], initial=32)


def english_codepoints() -> list[str]:
    """The characters polyvox's front end gives for ENGLISH (phonemes split into code points), in order of appearance."""
    from polyvox.text import TextFrontend

    tokens = TextFrontend(["en"]).phonemize(ENGLISH, "en")
    return list(dict.fromkeys(character for token in tokens for character in token.symbol))


def vits_symbols_module(ipa: list[str]) -> str:
    """A text/symbols.py in VITS's layout: pad, punctuation (with space), letters, IPA letters joined into ``symbols``."""
    punctuation = ';:,.!?¡¿—…"«»“” '
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    extra = "".join(character for character in ipa if character not in punctuation + letters)
    return (
        "_pad        = '_'\n"
        f"_punctuation = {punctuation!r}\n"
        f"_letters = {letters!r}\n"
        f"_letters_ipa = {extra!r}\n"
        "symbols = [_pad] + list(_punctuation) + list(_letters) + list(_letters_ipa)\n"
        "SPACE_ID = symbols.index(' ')\n"
    )


def vits_symbol_list(module_text: str) -> list[str]:
    namespace: dict[str, object] = {}
    exec(module_text, namespace)  # the test's own file: the importer itself never runs it
    return list(namespace["symbols"])  # type: ignore[arg-type]


def write_vits(folder: Path, weight_norm: WeightNormStyle = "weight_g", n_speakers: int = 1) -> tuple[Path, Path, Path, Layout]:
    """(G_100.pth, config.json, text/symbols.py, layout) of a small VITS model (train.py, or train_ms.py with speakers)."""
    folder.mkdir(parents=True, exist_ok=True)
    symbols_text = vits_symbols_module(english_codepoints())
    symbols = vits_symbol_list(symbols_text)
    gin = 8 if n_speakers > 1 else 0
    layout = Layout(weight_norm, seed=1)
    layout.generator(n_vocab=len(symbols), spec=513, gin=gin, n_speakers=n_speakers, rb_kernels=[3, 7], rb_dilations=[[1, 3, 5], [1, 3, 5]],
                     resblock="1", durations={"dp": "stochastic"}, **SMALL)
    model = {"inter_channels": 16, "hidden_channels": 16, "filter_channels": 32, "n_heads": 2, "n_layers": 2, "kernel_size": 3, "p_dropout": 0.1,
             "resblock": "1", "resblock_kernel_sizes": [3, 7], "resblock_dilation_sizes": [[1, 3, 5], [1, 3, 5]], "upsample_rates": [8, 8, 4],
             "upsample_initial_channel": 32, "upsample_kernel_sizes": [16, 16, 8], "n_layers_q": 3, "use_spectral_norm": False}
    if gin:
        model["gin_channels"] = gin
    config = {
        "train": {"log_interval": 200, "seed": 1234, "learning_rate": 2e-4, "batch_size": 64, "segment_size": 8192},
        "data": {"training_files": "filelists/train.txt", "text_cleaners": ["english_cleaners2"], "max_wav_value": 32768.0, "sampling_rate": 22050,
                 "filter_length": 1024, "hop_length": 256, "win_length": 1024, "n_mel_channels": 80, "mel_fmin": 0.0, "mel_fmax": None,
                 "add_blank": True, "n_speakers": n_speakers if n_speakers > 1 else 0, "cleaned_text": True},
        "model": model,
    }
    checkpoint = folder / "G_100.pth"
    torch.save({"model": layout.tensors, "iteration": 100, "optimizer": {"state": {}, "param_groups": [{"lr": 2e-4}]}, "learning_rate": 2e-4}, checkpoint)
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    (folder / "text").mkdir(exist_ok=True)
    (folder / "text" / "symbols.py").write_text(symbols_text, encoding="utf-8")
    return checkpoint, folder / "config.json", folder / "text" / "symbols.py", layout


PIPER_SPEAKERS = {"kim": 2, "alex": 0, "sam": 1}


def piper_phoneme_map() -> dict[str, list[int]]:
    """Piper's reserved ids first, then the test sentence's characters at scattered ids (some ids left unused)."""
    id_map = {"_": [0], "^": [1], "$": [2], " ": [3], "!": [4], ",": [8], ".": [10], "?": [13]}
    free = [index for index in range(63, 13, -2)]
    for character in english_codepoints():
        if character not in id_map:
            id_map[character] = [free.pop(0)]
    return id_map


def write_piper(folder: Path, n_speakers: int = 3) -> tuple[Path, Path, Layout]:
    """(a Lightning .ckpt of piper_train, its .onnx.json, layout): resblock 2 (Piper's medium quality), 64 symbols."""
    folder.mkdir(parents=True, exist_ok=True)
    gin = 8 if n_speakers > 1 else 0
    layout = Layout("weight_g", seed=2)
    layout.generator(n_vocab=64, spec=513, gin=gin, n_speakers=n_speakers, rb_kernels=[3, 5, 7], rb_dilations=[[1, 2], [2, 6], [3, 12]],
                     resblock="2", durations={"dp": "stochastic"}, **SMALL)
    state = {f"model_g.{name}": tensor for name, tensor in layout.tensors.items()}
    state["model_d.discriminators.0.convs.0.weight_g"] = torch.ones(16, 1, 1)
    state["model_d.discriminators.0.convs.0.weight_v"] = torch.ones(16, 1, 15)
    state["model_d.discriminators.0.convs.0.bias"] = torch.zeros(16)
    hyper_parameters = {
        "num_symbols": 64, "num_speakers": n_speakers, "resblock": "2", "resblock_kernel_sizes": (3, 5, 7),
        "resblock_dilation_sizes": ((1, 2), (2, 6), (3, 12)), "upsample_rates": (8, 8, 4), "upsample_initial_channel": 32,
        "upsample_kernel_sizes": (16, 16, 8), "filter_length": 1024, "hop_length": 256, "win_length": 1024, "mel_channels": 80,
        "sample_rate": 22050, "sample_bytes": 2, "channels": 1, "mel_fmin": 0.0, "mel_fmax": None, "inter_channels": 16, "hidden_channels": 16,
        "filter_channels": 32, "n_heads": 2, "n_layers": 2, "kernel_size": 3, "p_dropout": 0.1, "n_layers_q": 3, "use_spectral_norm": False,
        "gin_channels": gin, "use_sdp": True, "segment_size": 8192, "dataset": [pathlib.PosixPath("/data/dataset.jsonl")],
        "learning_rate": 2e-4, "betas": (0.8, 0.99), "eps": 1e-9, "batch_size": 32, "lr_decay": 0.999875, "seed": 1234,
    }
    checkpoint = folder / "epoch=9-step=1000.ckpt"
    torch.save({"epoch": 9, "global_step": 1000, "pytorch-lightning_version": "1.7.7", "state_dict": state, "loops": {}, "callbacks": {},
                "optimizer_states": [{"state": {}}], "lr_schedulers": [], "hparams_name": "kwargs", "hyper_parameters": hyper_parameters}, checkpoint)
    voice_json = {
        "dataset": "test", "audio": {"sample_rate": 22050, "quality": "medium"}, "espeak": {"voice": "en-us"},
        "language": {"code": "en_US", "family": "en", "region": "US"},
        "inference": {"noise_scale": 0.667, "length_scale": 1, "noise_w": 0.8}, "phoneme_type": "espeak", "phoneme_map": {},
        "phoneme_id_map": piper_phoneme_map(), "num_symbols": 64, "num_speakers": n_speakers,
        "speaker_id_map": PIPER_SPEAKERS if n_speakers > 1 else {}, "piper_version": "1.0.0",
    }
    voice_path = folder / "en_US-test-medium.onnx.json"
    voice_path.write_text(json.dumps(voice_json, ensure_ascii=False), encoding="utf-8")
    return checkpoint, voice_path, layout


MELO_SYMBOLS = ["_", '"', "AA", "E", "aa", "ae", "ah", "b", "d", "hh", "l", "ow", "w", "er", "!", "?", "…", ",", ".", "'", "-", "SP", "UNK"]
MELO_SPEAKERS = {"EN-US": 0, "EN-BR": 2}


def write_melotts(folder: Path) -> tuple[Path, Path, Layout]:
    """(checkpoint.pth, config.json, layout) of a small MeloTTS English model: transformer flow, speaker-conditioned
    text encoder, both duration predictors, 16 tones, 8 languages, 4 speaker rows of which 2 are named."""
    folder.mkdir(parents=True, exist_ok=True)
    layout = Layout("weight_g", seed=3)
    layout.param("enc_p.tone_emb.weight", None, 16, 16)
    layout.param("enc_p.language_emb.weight", None, 8, 16)
    for name, width in (("bert_proj", 1024), ("ja_bert_proj", 768)):
        layout.param(f"enc_p.{name}.weight", None, 16, width, 1)
        layout.param(f"enc_p.{name}.bias", None, 16)
    melo = dict(SMALL, layers=3, rates=[8, 8, 2, 2, 2], kernels=[16, 16, 8, 2, 2], initial=64)
    layout.generator(n_vocab=len(MELO_SYMBOLS), spec=1025, gin=8, n_speakers=4, rb_kernels=[3, 7], rb_dilations=[[1, 3, 5], [1, 3, 5]],
                     resblock="1", durations={"sdp": "stochastic", "dp": "deterministic"}, transformer_flow=True, text_gin=8, **melo)
    model = {"use_spk_conditioned_encoder": True, "use_noise_scaled_mas": True, "use_mel_posterior_encoder": False,
             "use_duration_discriminator": True, "inter_channels": 16, "hidden_channels": 16, "filter_channels": 32, "n_heads": 2, "n_layers": 3,
             "n_layers_trans_flow": 3, "kernel_size": 3, "p_dropout": 0.1, "resblock": "1", "resblock_kernel_sizes": [3, 7],
             "resblock_dilation_sizes": [[1, 3, 5], [1, 3, 5]], "upsample_rates": [8, 8, 2, 2, 2], "upsample_initial_channel": 64,
             "upsample_kernel_sizes": [16, 16, 8, 2, 2], "n_layers_q": 3, "use_spectral_norm": False, "gin_channels": 8}
    data = {"training_files": "", "validation_files": "", "max_wav_value": 32768.0, "sampling_rate": 44100, "filter_length": 2048,
            "hop_length": 512, "win_length": 2048, "n_mel_channels": 128, "mel_fmin": 0.0, "mel_fmax": None, "add_blank": True,
            "n_speakers": 4, "cleaned_text": True, "spk2id": MELO_SPEAKERS}
    config = {"train": {"segment_size": 16384, "learning_rate": 3e-4}, "data": data, "model": model, "num_languages": 8, "num_tones": 16,
              "symbols": MELO_SYMBOLS}
    checkpoint = folder / "checkpoint.pth"
    torch.save({"model": layout.tensors, "iteration": 5000, "optimizer": {"state": {}}, "learning_rate": 3e-4}, checkpoint)
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    return checkpoint, folder / "config.json", layout


def source_accounting(layout: Layout, report: object, others: tuple[str, ...] = ()) -> None:
    """Every source tensor (the generator's, and ``others`` outside it) is in the report, in one category: loaded
    (perhaps into several polyvox tensors), not imported, or mismatched."""
    seen: list[str] = []
    for entry in report.loaded:  # type: ignore[attr-defined]
        seen.extend(entry.sources)
    seen = list(dict.fromkeys(seen))
    seen += [entry.source for entry in report.unexpected]  # type: ignore[attr-defined]
    seen += [entry.source for entry in report.shape_mismatched]  # type: ignore[attr-defined]
    expected = [*layout.tensors, *others]
    assert sorted(seen) == sorted(expected), set(expected).symmetric_difference(seen)
