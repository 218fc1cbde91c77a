"""Importing original VITS checkpoints (G_*.pth + config.json + text/symbols.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from polyvox.voice_file import build_generator, save_voice
from polyvox.inference.voice import Voice
from polyvox.pretrained import PretrainedImportError, import_checkpoint
from vits_family_checkpoints import ENGLISH, assert_lands_where_expected, source_accounting, vits_symbol_list, write_vits


@pytest.fixture(scope="module")
def vits(tmp_path_factory):
    """A single-speaker VITS checkpoint (train.py), weight norm stored as weight_g/weight_v."""
    files = write_vits(tmp_path_factory.mktemp("vits"))
    checkpoint, config, symbols, layout = files
    return files, import_checkpoint(checkpoint, config, symbols)


def _check_every_tensor(layout, tensors, report) -> None:
    assert_lands_where_expected(layout, tensors)
    source_accounting(layout, report)
    # The only tensor not carried over reads linear spectrograms; polyvox's posterior encoder reads log-mels.
    assert [entry.source for entry in report.shape_mismatched] == ["enc_q.pre.weight"]
    assert report.unexpected == []


def test_every_tensor_lands_where_it_should(vits):
    (_, _, _, layout), (tensors, _, report) = vits
    _check_every_tensor(layout, tensors, report)
    assert any("weight_g/weight_v" in entry.how for entry in report.loaded)


def test_weight_norm_saved_by_newer_pytorch(tmp_path):
    """PyTorch 2.1 and later save weight norm as parametrizations.weight.original0/1."""
    checkpoint, config, symbols, layout = write_vits(tmp_path, weight_norm="parametrizations")
    tensors, _, report = import_checkpoint(checkpoint, config, symbols)
    _check_every_tensor(layout, tensors, report)
    assert any(".parametrizations.weight.original0" in entry.sources[0] for entry in report.loaded)


def test_vocabulary_rows_move_to_their_polyvox_ids(vits):
    (_, _, symbols_file, layout), (tensors, metadata, report) = vits
    source_symbols = vits_symbol_list(symbols_file.read_text(encoding="utf-8"))
    source_rows = layout.tensors["enc_p.emb.weight"]
    rows = tensors["text_encoder.symbol_embedding.weight"]
    assert len(metadata.symbols) == len(source_symbols) + 2  # VITS has no BOS/EOS; polyvox reserves them
    for source_id, symbol in enumerate(source_symbols):
        assert torch.equal(rows[metadata.symbols.id_of(symbol)], source_rows[source_id]), symbol
    assert metadata.symbols.id_of("_") == 0 and metadata.symbols.id_of(" ") == 3
    assert any("['^', '$']" in note for note in report.notes)


def test_config_reproduces_vits(vits):
    _, (tensors, metadata, _) = vits
    config = metadata.config
    assert config.text.sequence_layout == "vits" and config.text.token_unit == "codepoint" and config.text.add_blank
    duration = config.model.duration
    assert (duration.log_duration_offset, duration.rounding) == (0.0, "ceil")
    assert duration.stochastic_weight == 1.0 and duration.stochastic_filter_channels == 16
    assert config.model.decoder.output_leaky_relu_slope == 0.01 and config.model.decoder.upsample_rates == (8, 8, 4)
    assert config.model.posterior.n_layers == 16 and config.model.flow.n_layers == 4
    # One speaker, no speaker input in VITS: everything reading polyvox's speaker vector starts at zero.
    for name in ("speaker_embedding.weight", "decoder.cond.weight", "stochastic_duration_predictor.speaker_projection.weight",
                 "flow.couplings.0.wavenet.speaker_projection.parametrizations.weight.original0"):
        assert not tensors[name].any(), name
    assert not tensors["text_encoder.language_projection.weight"].any()


def test_imported_voice_speaks(vits, tmp_path):
    _, (tensors, metadata, _) = vits
    voice = Voice.load(save_voice(tmp_path / "vits.safetensors", tensors, metadata))
    result = voice.synthesize(ENGLISH, seed=0)
    assert result.sample_rate == 22050 and result.samples.size > 0 and np.isfinite(result.samples).all()


def test_imported_voice_is_a_fine_tuning_start(vits):
    """A training pass runs on the imported weights with finite losses (durations from alignment search)."""
    _, (tensors, metadata, _) = vits
    generator = build_generator(metadata)
    generator.load_state_dict(tensors)
    ids = torch.tensor([[0, 20, 0, 30, 0, 25, 0]])
    mel = torch.randn(1, metadata.config.audio.n_mels, 20)
    output = generator(ids, torch.zeros_like(ids), torch.tensor([7]), mel, torch.tensor([20]), torch.tensor([0]), segment_frames=8)
    assert torch.isfinite(output.duration_loss) and torch.isfinite(output.waveform_segment).all()
    (output.duration_loss + output.waveform_segment.abs().mean()).backward()
    assert all(torch.isfinite(p.grad).all() for p in generator.parameters() if p.grad is not None)


def test_speaker_rows_are_kept(tmp_path):
    checkpoint, config, symbols, layout = write_vits(tmp_path, n_speakers=3)
    tensors, metadata, _ = import_checkpoint(checkpoint, config, symbols)
    assert metadata.speakers == ("speaker_0", "speaker_1", "speaker_2")
    assert torch.equal(tensors["speaker_embedding.weight"], layout.tensors["emb_g.weight"])
    assert_lands_where_expected(layout, tensors)


def test_missing_side_files_say_what_to_pass(tmp_path):
    checkpoint, config, _, _ = write_vits(tmp_path)
    with pytest.raises(PretrainedImportError, match="config.json"):
        import_checkpoint(checkpoint)
    with pytest.raises(PretrainedImportError, match="symbols.py"):
        import_checkpoint(checkpoint, config)
    short_list = tmp_path / "symbols.json"
    short_list.write_text('["_", "a"]', encoding="utf-8")
    with pytest.raises(PretrainedImportError, match="2 symbols but the checkpoint's embedding has"):
        import_checkpoint(checkpoint, config, short_list)


def test_speakers_added_to_a_single_speaker_import_can_part_and_the_voice_sounds_as_it_did(tmp_path):
    """A single-speaker source gets a speaker table of zeros read by zero weights: left so, neither would ever train
    and every speaker of a fine-tune would stay the same voice."""
    from polyvox.finetune.loading import load_with_report
    from polyvox.finetune.tables import SPEAKER_TABLE, grow_metadata, grow_tables

    checkpoint, config, symbols, _ = write_vits(tmp_path)
    tensors, source, _ = import_checkpoint(checkpoint, config, symbols)
    assert not tensors[SPEAKER_TABLE].any()
    target = grow_metadata(source, [], [], ["female", "male"])
    imported, grown = build_generator(source).eval(), build_generator(target).eval()
    imported.load_state_dict(tensors, strict=False)
    load_with_report(grown, tensors, grow_tables(tensors, source, target, {}), "")
    rows = grown.speaker_embedding.weight.detach()
    assert rows.shape[0] == 3 and rows.norm(dim=1).allclose(torch.ones(3))
    # A voice fine-tuned before (its speakers added, its rows still zero) gets them too, and the report says so.
    again = grow_tables({**tensors, SPEAKER_TABLE: torch.zeros(3, rows.shape[1])}, target, target, {})[SPEAKER_TABLE]
    assert torch.equal(again.rows, rows) and "all were zero" in again.describe("speaker")

    ids = torch.tensor([[0, 5, 0, 6, 0, 7, 0]])
    inputs = (ids, torch.zeros_like(ids), torch.tensor([ids.shape[1]]))
    with torch.no_grad():
        before = imported.synthesize(*inputs, torch.tensor([0]), noise_generator=torch.Generator().manual_seed(3)).waveform
        after = grown.synthesize(*inputs, torch.tensor([0]), noise_generator=torch.Generator().manual_seed(3)).waveform
    assert torch.equal(before, after)  # the weights that read the speaker are still zero

    # One training pass on two speakers' clips: the weights that read the speaker now learn (with zero rows: nothing).
    mel = torch.randn(2, source.config.audio.n_mels, 40)
    for generator, learns in ((imported, False), (grown, True)):
        generator.train()
        output = generator(ids.repeat(2, 1), torch.zeros(2, 7, dtype=torch.long), torch.tensor([7, 7]), mel, torch.tensor([40, 40]),
                           torch.tensor([0, 0]) if not learns else torch.tensor([1, 2]), segment_frames=8)
        (output.waveform_segment.pow(2).mean() + output.prior_means.pow(2).mean()).backward()
        reading = [p.grad for name, p in generator.named_parameters() if ("cond" in name or "speaker_projection" in name) and name.endswith(("weight", "original0"))]
        assert reading and any(g is not None and g.abs().sum() > 0 for g in reading) is learns
