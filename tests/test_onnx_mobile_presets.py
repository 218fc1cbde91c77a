"""Voices of the small and medium presets export to graphs that onnxruntime-mobile's reduced build can run:
prosody ids (the features input scheme) and stochastic durations included, and the small preset's decoder with a phase
advance and a harmonic source, with no operator warning."""

from __future__ import annotations

from pathlib import Path

import onnx
import pytest
import torch

from polyvox.config import preset
from polyvox.export.onnx_export import export_onnx
from polyvox.export.operator_check import operators_used
from polyvox.models.vits import VitsGenerator
from polyvox.voice_file import VoiceMetadata, save_voice
from tiny_voices import SPEAKERS, covering_symbols

# The presets' layout (decoder type, sub-bands, up-sampling, layer counts, input scheme) at test widths.
TINY_WIDTHS = {
    "model.inter_channels": 8,
    "model.speaker_channels": 8,
    "model.text_encoder.hidden_channels": 16,
    "model.text_encoder.filter_channels": 32,
    "model.duration.filter_channels": 16,
    "model.duration.stochastic_filter_channels": 16,
    "model.flow.hidden_channels": 16,
    "model.posterior.hidden_channels": 16,
    "model.decoder.initial_channels": 32,
}
# What the reduced build lacks and these voices once needed: Mod for prosody ids and the phase advance, Softplus and
# GatherElements for the stochastic duration predictor's splines.
FORMERLY_NEEDED = {"Mod", "Softplus", "GatherElements"}


# The decoder options a recordings-trained decoder of the bundled voice uses (docs/training.md).
SOURCE_DECODER = {"model.decoder.istft_phase_advance": True, "model.decoder.harmonic_source": True}


def preset_voice(path: Path, name: str, settings: dict[str, object] | None = None) -> Path:
    """An untrained voice of preset ``name`` at tiny widths, reading both durations (stochastic weight 0.5)."""
    config = preset(name, ("en", "es"), n_speakers=len(SPEAKERS)).replace(
        **TINY_WIDTHS, **{"model.duration.stochastic_weight": 0.5}, **(settings or {})
    )
    assert config.model.text_encoder.prosody_embeddings
    symbols = covering_symbols(config)
    metadata = VoiceMetadata(config=config, symbols=symbols, languages=("en", "es"), speakers=SPEAKERS, info={})
    torch.manual_seed(0)
    generator = VitsGenerator(config.model, len(symbols), len(SPEAKERS), config.audio.n_mels, config.audio.hop_length)
    return save_voice(path, generator.state_dict(), metadata)


@pytest.mark.parametrize(("name", "settings"), [("small", None), ("medium", None), ("small", SOURCE_DECODER)], ids=["small", "medium", "small-harmonic-source"])
def test_preset_voices_need_only_operators_of_onnxruntime_mobile(tmp_path: Path, name: str, settings: dict | None) -> None:
    exported = export_onnx(preset_voice(tmp_path / "voice.safetensors", name, settings), tmp_path / "voice.onnx")
    assert [problem.describe() for problem in exported.unsupported] == []
    for path in exported.graph_paths.values():
        assert not FORMERLY_NEEDED & {use.name for use in operators_used(onnx.load(path))}, path.name
