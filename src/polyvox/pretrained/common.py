"""Plan steps the three importers share: symbol and speaker rows, single-speaker sources, the report's notes."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from torch import Tensor

from polyvox.pretrained.architecture import SourceArchitecture
from polyvox.pretrained.names import DurationRole
from polyvox.pretrained.plan import ImportPlan, PreparedTensor
from polyvox.pretrained.vocabulary import Vocabulary, gather_rows, initial_rows

SYMBOL_EMBEDDING = "text_encoder.symbol_embedding.weight"
SPEAKER_EMBEDDING = "speaker_embedding.weight"
SOURCE_SYMBOL_EMBEDDING = "enc_p.emb.weight"
SOURCE_SPEAKER_EMBEDDING = "emb_g.weight"
# Seed of the rows given to polyvox symbols the source lacks (e.g. BOS/EOS for VITS).
NEW_ROW_SEED = 0


def duration_roles_of(generator_names: Sequence[str], names: dict[str, DurationRole]) -> dict[str, DurationRole]:
    """VITS and Piper keep one predictor under ``dp``: the stochastic one when its flows are there."""
    if "dp" in names and any(name.startswith("dp.flows.") for name in generator_names):
        return {**names, "dp": "stochastic"}
    return names


def source_speaker_count(generator: Mapping[str, Tensor]) -> int:
    """Rows of the source's speaker table; 1 for a single-speaker source, which has none."""
    return int(generator[SOURCE_SPEAKER_EMBEDDING].shape[0]) if SOURCE_SPEAKER_EMBEDDING in generator else 1


def with_speaker_channels(section: Mapping[str, Any], generator: Mapping[str, Tensor]) -> dict[str, Any]:
    """``section`` with ``gin_channels`` as wide as the source's speaker table (when it has one): the weights are the truth."""
    if SOURCE_SPEAKER_EMBEDDING not in generator:
        return dict(section)
    return {**section, "gin_channels": int(generator[SOURCE_SPEAKER_EMBEDDING].shape[1])}


def add_single_language_tables(plan: ImportPlan, vocabulary: Vocabulary, arch: SourceArchitecture) -> None:
    """The tables of a VITS or Piper voice (one language, speakers in source order) and the common notes."""
    add_symbol_rows(plan, vocabulary)
    zero_language_input(plan)
    if SOURCE_SPEAKER_EMBEDDING in plan.generator:
        add_speaker_rows(plan, list(range(source_speaker_count(plan.generator))), [])
    else:
        zero_speaker_inputs(plan, arch.n_flows, arch.flow_type)
    add_common_notes(plan, arch, arch.n_fft // 2 + 1, plan.duration_roles)


def note_training_state(plan: ImportPlan, entries: Mapping[str, Any], read_entry: str) -> None:
    """Name the checkpoint entries besides the weights and ``read_entry`` (optimizer, ...) in the report."""
    ignored = sorted(key for key in entries if key != read_entry)
    if ignored:
        plan.notes.append(f"checkpoint entries not imported (training state): {', '.join(ignored)}")


def add_symbol_rows(plan: ImportPlan, vocabulary: Vocabulary) -> None:
    table = plan.generator[SOURCE_SYMBOL_EMBEDDING]
    initial = initial_rows(len(vocabulary.symbols), table.shape[1], NEW_ROW_SEED)
    rows = gather_rows(table, vocabulary.source_rows, initial)
    plan.prepared[SYMBOL_EMBEDDING] = PreparedTensor(rows, (SOURCE_SYMBOL_EMBEDDING,), "rows remapped symbol by symbol")
    plan.consumed.add(SOURCE_SYMBOL_EMBEDDING)
    plan.notes.extend(vocabulary.notes)


def add_speaker_rows(plan: ImportPlan, rows: Sequence[int], dropped: Sequence[int]) -> None:
    """Speaker ``i`` of the voice takes row ``rows[i]`` of the source's speaker table."""
    table = plan.generator[SOURCE_SPEAKER_EMBEDDING]
    how = "speaker rows kept" if list(rows) == list(range(table.shape[0])) else "speaker table resized to the named speakers"
    plan.prepared[SPEAKER_EMBEDDING] = PreparedTensor(table[list(rows)], (SOURCE_SPEAKER_EMBEDDING,), how)
    plan.consumed.add(SOURCE_SPEAKER_EMBEDDING)
    if dropped:
        plan.notes.append(f"speaker rows without a name are not imported: source ids {list(dropped)}")


def zero_speaker_inputs(plan: ImportPlan, n_flows: int, flow_type: str) -> None:
    """A single-speaker source has no speaker vector: every weight that reads polyvox's starts at zero."""
    reason = "the source has one speaker and no speaker input, so its output is unchanged"
    coupling = "transformer" if flow_type == "transformer" else "wavenet"
    prefixes = [
        "speaker_embedding", "decoder.cond", "duration_predictor.speaker_projection",
        "stochastic_duration_predictor.speaker_projection", "posterior_encoder.wavenet.speaker_projection",
        "text_encoder.speaker_projection",
        *(f"flow.couplings.{index}.{coupling}.speaker_projection" for index in range(n_flows)),
    ]
    plan.zeroed.update({prefix: reason for prefix in prefixes})


def zero_language_input(plan: ImportPlan) -> None:
    plan.zeroed["text_encoder.language_projection"] = "the source has no language input, so its output is unchanged"


def add_common_notes(plan: ImportPlan, arch: SourceArchitecture, spectrogram_bins: int, roles: dict[str, DurationRole]) -> None:
    """What every VITS-family import carries over differently, in the report."""
    mels = plan.metadata.config.audio.n_mels
    plan.initialisation["posterior_encoder.input_projection"] = (
        f"re-initialised: the source's posterior encoder reads {spectrogram_bins}-bin linear spectrograms, polyvox's "
        f"{mels}-band log-mels; the rest of the posterior encoder is imported (it is used in training only)"
    )
    plan.notes.append(
        "posterior encoder: its input projection is re-initialised (linear spectrogram -> log-mel input); "
        "synthesis does not use it, fine-tuning retrains it"
    )
    if "deterministic" not in roles.values():
        plan.initialisation["duration_predictor"] = (
            "the source has no deterministic duration predictor (its `dp` is the stochastic one); "
            "unused at synthesis with duration.stochastic_weight 1"
        )
    if "stochastic" not in roles.values():
        plan.initialisation["stochastic_duration_predictor"] = (
            "the source was trained without the stochastic duration predictor; unused at synthesis with duration.stochastic_weight 0"
        )
    plan.notes.append(
        "durations as in the source: log(frames) (duration.log_duration_offset 0), each token's frames rounded up "
        "(duration.rounding ceil)"
    )
    if not arch.decoder_matches_hop:
        plan.reuse_decoder = False
        plan.decoder_reason = (
            f"decoder not reused: its up-sampling {list(arch.upsample_rates)} multiplies to "
            f"{math.prod(arch.upsample_rates)} but the hop length is {arch.hop_length}"
        )
        plan.notes.append(plan.decoder_reason + "; a new decoder for that hop is initialised")
