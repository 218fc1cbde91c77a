"""Tensor names of the VITS family (VITS, Piper, MeloTTS) -> polyvox names.

The three projects share VITS's module names (``enc_p``, ``enc_q``, ``flow``, ``dec``, ``dp``/``sdp``,
``emb_g``). Weight-norm pairs come out in polyvox's spelling (``parametrizations.weight.original0/1``) whatever
the source used (``weight_g``/``weight_v`` before PyTorch 2.1); LayerNorm's ``gamma``/``beta`` become
``weight``/``bias``. Embedding tables (symbols, tones, languages, speakers) are not renamed here: each project's
importer remaps their rows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

DurationRole = Literal["stochastic", "deterministic"]
Rule = tuple[str, str]

WEIGHT_NORM_MAGNITUDE = "parametrizations.weight.original0"
WEIGHT_NORM_DIRECTION = "parametrizations.weight.original1"

_TRANSFORMER: tuple[Rule, ...] = (
    (r"attn_layers\.(\d+)\.conv_q\.(.+)", r"attention_layers.\1.query.\2"),
    (r"attn_layers\.(\d+)\.conv_k\.(.+)", r"attention_layers.\1.key.\2"),
    (r"attn_layers\.(\d+)\.conv_v\.(.+)", r"attention_layers.\1.value.\2"),
    (r"attn_layers\.(\d+)\.conv_o\.(.+)", r"attention_layers.\1.output.\2"),
    (r"attn_layers\.(\d+)\.emb_rel_k", r"attention_layers.\1.relative_keys"),
    (r"attn_layers\.(\d+)\.emb_rel_v", r"attention_layers.\1.relative_values"),
    (r"norm_layers_1\.(.+)", r"attention_norms.\1"),
    (r"ffn_layers\.(\d+)\.conv_1\.(.+)", r"feed_forward_layers.\1.expand.\2"),
    (r"ffn_layers\.(\d+)\.conv_2\.(.+)", r"feed_forward_layers.\1.contract.\2"),
    (r"norm_layers_2\.(.+)", r"feed_forward_norms.\1"),
    (r"spk_emb_linear\.(.+)", r"speaker_projection.\1"),
)
_WAVENET: tuple[Rule, ...] = (
    (r"in_layers\.(.+)", r"input_convs.\1"),
    (r"res_skip_layers\.(.+)", r"residual_skip_convs.\1"),
    (r"cond_layer\.(.+)", r"speaker_projection.\1"),
)
_DILATED_CONVS: tuple[Rule, ...] = (
    (r"convs_sep\.(.+)", r"depthwise_convs.\1"),
    (r"convs_1x1\.(.+)", r"pointwise_convs.\1"),
    (r"norms_1\.(.+)", r"depthwise_norms.\1"),
    (r"norms_2\.(.+)", r"pointwise_norms.\1"),
)
_DETERMINISTIC: tuple[Rule, ...] = (
    (r"conv_1\.(.+)", r"first_conv.\1"),
    (r"norm_1\.(.+)", r"first_norm.\1"),
    (r"conv_2\.(.+)", r"second_conv.\1"),
    (r"norm_2\.(.+)", r"second_norm.\1"),
    (r"proj\.(.+)", r"output_projection.\1"),
    (r"cond\.(.+)", r"speaker_projection.\1"),
)
_STOCHASTIC: tuple[Rule, ...] = (
    (r"pre\.(.+)", r"text_input_projection.\1"),
    (r"proj\.(.+)", r"text_output_projection.\1"),
    (r"cond\.(.+)", r"speaker_projection.\1"),
    (r"post_pre\.(.+)", r"duration_input_projection.\1"),
    (r"post_proj\.(.+)", r"duration_output_projection.\1"),
)
_SPLINE_FLOW: tuple[Rule, ...] = (
    (r"(\d+)\.m", r"\1.shift"),
    (r"(\d+)\.logs", r"\1.log_scale"),
    (r"(\d+)\.pre\.(.+)", r"\1.input_projection.\2"),
    (r"(\d+)\.proj\.(.+)", r"\1.output_projection.\2"),
)


def _rename(rules: tuple[Rule, ...], name: str) -> str | None:
    for pattern, replacement in rules:
        if re.fullmatch(pattern, name):
            return re.sub(pattern, replacement, name)
    return None


def _prefixed(prefix: str, renamed: str | None) -> str | None:
    return None if renamed is None else prefix + renamed


def canonical_suffix(name: str) -> str:
    """Old weight-norm and LayerNorm parameter names in polyvox's spelling."""
    name = re.sub(r"\.weight_g$", "." + WEIGHT_NORM_MAGNITUDE, name)
    name = re.sub(r"\.weight_v$", "." + WEIGHT_NORM_DIRECTION, name)
    name = re.sub(r"\.gamma$", ".weight", name)
    return re.sub(r"\.beta$", ".bias", name)


def _stochastic(rest: str) -> str | None:
    for source, target in (("convs.", "text_convs."), ("post_convs.", "duration_convs.")):
        if rest.startswith(source):
            return _prefixed(target, _rename(_DILATED_CONVS, rest[len(source) :]))
    for source, target in (("flows.", "flows."), ("post_flows.", "posterior_flows.")):
        if rest.startswith(source):
            inner = rest[len(source) :]
            convs = re.fullmatch(r"(\d+)\.convs\.(.+)", inner)
            if convs:
                return _prefixed(f"{target}{convs.group(1)}.convs.", _rename(_DILATED_CONVS, convs.group(2)))
            return _prefixed(target, _rename(_SPLINE_FLOW, inner))
    return _rename(_STOCHASTIC, rest)


def _flow(rest: str) -> str | None:
    match = re.fullmatch(r"flows\.(\d+)\.(pre|post|enc)\.(.+)", rest)
    if match is None or int(match.group(1)) % 2:
        return None  # odd entries are channel flips, which have no weights
    coupling = f"couplings.{int(match.group(1)) // 2}."
    part, inner = match.group(2), match.group(3)
    if part == "pre":
        return f"{coupling}input_projection.{inner}"
    if part == "post":
        return f"{coupling}output_projection.{inner}"
    transformer = _rename(_TRANSFORMER, inner)
    if transformer is not None:
        return f"{coupling}transformer.{transformer}"
    return _prefixed(f"{coupling}wavenet.", _rename(_WAVENET, inner))


def polyvox_name(name: str, duration_roles: Mapping[str, DurationRole]) -> str | None:
    """The polyvox name of a VITS-family generator tensor, or None when polyvox has no counterpart.

    ``duration_roles`` says which top-level module holds which duration predictor: VITS and Piper keep the
    stochastic one under ``dp`` (when trained with ``use_sdp``), MeloTTS keeps it under ``sdp`` and ``dp``
    is its deterministic one.
    """
    name = canonical_suffix(name)
    head, _, rest = name.partition(".")
    if head == "enc_p":
        if rest.startswith("encoder."):
            return _prefixed("text_encoder.", _rename(_TRANSFORMER, rest[len("encoder.") :]))
        return _prefixed("text_encoder.stats_projection.", rest[len("proj.") :] if rest.startswith("proj.") else None)
    if head == "enc_q":
        return _prefixed(
            "posterior_encoder.",
            _rename(((r"pre\.(.+)", r"input_projection.\1"), (r"proj\.(.+)", r"output_projection.\1")), rest)
            or _prefixed("wavenet.", _rename(_WAVENET, rest[len("enc.") :]) if rest.startswith("enc.") else None),
        )
    if head == "flow":
        return _prefixed("flow.", _flow(rest))
    if head == "dec":
        return f"decoder.{rest}"
    role = duration_roles.get(head)
    if role == "stochastic":
        return _prefixed("stochastic_duration_predictor.", _stochastic(rest))
    if role == "deterministic":
        return _prefixed("duration_predictor.", _rename(_DETERMINISTIC, rest))
    return None
