"""A float32 voice computes without oneDNN, whose per-shape primitive cache grew the process by ~2.5 MB for
every sentence of a new length (a long text grew by gigabytes); bfloat16 keeps it for speed."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from tiny_voices import ENGLISH, make_tiny_voice

from polyvox.inference.voice import Voice


def onednn_states(voice: Voice, speak) -> set[bool]:
    """oneDNN's switch as every flow and decoder call saw it while ``speak`` ran."""
    seen: set[bool] = set()
    hooks = [
        module.register_forward_pre_hook(lambda *_: seen.add(bool(torch.backends.mkldnn.enabled)))
        for module in (voice.generator.flow, voice.generator.decoder, voice.generator.text_encoder)
    ]
    try:
        speak()
    finally:
        for hook in hooks:
            hook.remove()
    return seen


@pytest.mark.parametrize("mode", ["synthesize", "stream"])
def test_float32_synthesis_runs_without_onednn_and_gives_it_back(tmp_path: Path, mode: str) -> None:
    voice = Voice.load(make_tiny_voice(tmp_path / "tiny.safetensors", seed=0))
    speak = (lambda: voice.synthesize(ENGLISH, seed=1)) if mode == "synthesize" else (lambda: list(voice.stream(ENGLISH, seed=1)))
    assert torch.backends.mkldnn.enabled
    assert onednn_states(voice, speak) == {False}
    assert torch.backends.mkldnn.enabled  # the caller's setting is back


def test_bfloat16_decoder_keeps_onednn(tmp_path: Path) -> None:
    voice = Voice.load(make_tiny_voice(tmp_path / "tiny.safetensors", seed=0), precision="bfloat16")
    assert onednn_states(voice, lambda: voice.synthesize(ENGLISH, seed=1)) == {True}


def test_the_audio_is_the_same_either_way(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import contextlib

    import polyvox.inference.voice as voice_module

    voice = Voice.load(make_tiny_voice(tmp_path / "tiny.safetensors", seed=0))
    without = voice.synthesize(ENGLISH, seed=3).samples
    monkeypatch.setattr(voice_module, "float32_without_onednn", lambda generator: contextlib.nullcontext())
    assert onednn_states(voice, lambda: voice.synthesize(ENGLISH, seed=3)) == {True}
    with_onednn = voice.synthesize(ENGLISH, seed=3).samples
    assert without.shape == with_onednn.shape and abs(without - with_onednn).max() < 1e-4


def test_switching_it_off_warns_nothing(tmp_path: Path) -> None:
    """torch.backends.mkldnn.flags() warned about Intel GPUs' TF32 in every process that spoke."""
    import warnings

    voice = Voice.load(make_tiny_voice(tmp_path / "tiny.safetensors", seed=0))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        voice.synthesize(ENGLISH, seed=1)


def test_concurrent_float32_calls_all_compute_without_onednn(tmp_path: Path) -> None:
    """The server speaks on several threads: one call ending must not switch oneDNN back on under another."""
    from concurrent.futures import ThreadPoolExecutor

    voice = Voice.load(make_tiny_voice(tmp_path / "tiny.safetensors", seed=0))
    with ThreadPoolExecutor(4) as pool:
        outputs = list(pool.map(lambda _: voice.synthesize(ENGLISH, seed=1).samples.tobytes(), range(8)))
    assert len(set(outputs)) == 1 and torch.backends.mkldnn.enabled
