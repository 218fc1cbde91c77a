"""Getting a generator ready for fast synthesis, without changing what it computes."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import torch
from torch.nn.utils import parametrize

from polyvox.inference.precisions import PRECISIONS


def prepare_for_inference(generator: torch.nn.Module) -> torch.nn.Module:
    """Eval mode, and every weight-norm parametrization (decoder, flow, posterior encoder) folded into a
    plain weight, so no weight is recomputed at each call. Outputs are unchanged (to float rounding);
    the state dict then names ``weight`` instead of ``parametrizations.weight.original0/1``, so a
    prepared generator is for synthesis and export, not for further training or saving."""
    generator.eval()
    for module in generator.modules():
        if parametrize.is_parametrized(module, "weight"):
            parametrize.remove_parametrizations(module, "weight", leave_parametrized=True)
    return generator


def native_bfloat16() -> bool:
    """Whether this CPU has bfloat16 dot-product instructions (AVX512-BF16 or AMX)."""
    checks = (getattr(torch.cpu, "_is_avx512_bf16_supported", None), getattr(torch.cpu, "_is_amx_tile_supported", None))
    return any(check is not None and bool(check()) for check in checks)


def resolve_precision(precision: str) -> str:
    """``precision`` with "auto" resolved for this machine; an unknown name raises ``ValueError``."""
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision {precision!r}; choose one of {', '.join(PRECISIONS)}")
    if precision == "auto":
        return "bfloat16" if native_bfloat16() else "float32"
    return precision


def set_decoder_precision(generator: torch.nn.Module, precision: str) -> str:
    """Make ``generator``'s decoder compute in ``precision`` (see PRECISIONS); returns the resolved name."""
    resolved = resolve_precision(precision)
    decoder = generator.decoder  # type: ignore[union-attr]
    decoder.compute_dtype = torch.bfloat16 if resolved == "bfloat16" else None
    return resolved


def float32_without_onednn(generator: torch.nn.Module) -> contextlib.AbstractContextManager[object]:
    """oneDNN keeps a compiled primitive per input shape (up to 1,024), so every sentence of a new length left
    its memory behind: ~2.5 MB a sentence, a long text's process growing by gigabytes (30 sentences: +75 MB
    with it, +1 MB without). A float32 decoder is as fast without it (one thread, 20 sentences, three rounds:
    RTF 0.23-0.30 with, 0.23-0.26 without); bfloat16 keeps it, its convolutions need oneDNN to be fast."""
    if getattr(generator.decoder, "compute_dtype", None) is None:  # type: ignore[union-attr]
        return _onednn_off()
    return contextlib.nullcontext()


# The switch is process-wide and the server synthesises on several threads: the first call in turns it off,
# the last one out puts the caller's setting back, so no float32 call ever computes with it on halfway.
_onednn_lock = threading.Lock()
_onednn_users = 0
_onednn_before = True


@contextlib.contextmanager
def _onednn_off() -> Iterator[None]:
    # Only the switch: torch.backends.mkldnn.flags() also sets TF32 and warns about Intel GPUs every process.
    global _onednn_users, _onednn_before
    with _onednn_lock:
        if _onednn_users == 0:
            _onednn_before = torch.backends.mkldnn.enabled
            torch.backends.mkldnn.enabled = False
        _onednn_users += 1
    try:
        yield
    finally:
        with _onednn_lock:
            _onednn_users -= 1
            if _onednn_users == 0:
                torch.backends.mkldnn.enabled = _onednn_before
