"""Everything before a fine-tuning run trains: the source loaded, the data checked, the tables grown, the
weights loaded (one report entry per tensor) and the freeze preset applied. No features are computed (only a
new speaker's timbre from a few of its clips, when the voice has a reference encoder), so the CLI can show the
load report at once."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from polyvox.voice_file import VoiceMetadata
from polyvox.config import VoiceConfig
from polyvox.config_files import parse_overrides
from polyvox.data.default_speakers import with_data_speakers
from polyvox.finetune.data import FinetuneData, added_languages, select_data
from polyvox.finetune.defaults import DEFAULTS, finetune_training
from polyvox.finetune.errors import FinetuneSetupError
from polyvox.finetune.freeze import FREEZE_PRESETS, FreezeSummary, apply_freeze, check_preset, new_components, summarize
from polyvox.finetune.loading import load_with_report
from polyvox.finetune.report import FinetuneReport
from polyvox.finetune.source import FinetuneSource, load_source, with_discriminator
from polyvox.finetune.tables import grow_metadata, grow_tables
from polyvox.finetune.warmup_plan import UNTRAINED_INFO, WarmupPlan, plan_warmup
from polyvox.text.errors import TextError
from polyvox.text.rules import TextRules
from polyvox.train.callbacks import checkpoint_files

if TYPE_CHECKING:
    from polyvox.train.module import VitsTrainingModule

LOAD_REPORT_FILE = "load_report.json"
# Clips of a new speaker whose timbre (reference encoder) starts its speaker row.
TIMBRE_CLIPS = 10


@dataclass(frozen=True)
class FinetuneOptions:
    freeze: str | None = None  # None: "voice", or "language" with add_language
    steps: int | None = None
    learning_rate: float | None = None
    speaker: str | None = None
    add_language: str | None = None  # one code, or several separated by commas
    replay: Path | None = None
    language_init: str | None = None  # the voice's language a new language starts from (default: the mean)
    language_temperature: float | None = None
    overrides: tuple[str, ...] = ()  # "section.key=value", as `polyvox train --set`
    resume: bool = False
    validation_per_language: int = DEFAULTS.validation_per_language
    # False: a new language may train without replay (warned; for experiments that show forgetting).
    require_replay: bool = True
    # For checkpoints of other toolkits (polyvox.pretrained): their config, phoneme map and language.
    source_config: Path | None = None
    phoneme_map: Path | None = None
    source_language: str | None = None
    # A local Whisper model folder: the output voice is the step whose held-out sentences it understands best
    # (character error rate, ``polyvox.train.listener_validation``) instead of the lowest mel loss.
    listener: Path | None = None
    # A training checkpoint whose discriminator the run starts with (a grafted decoder's run: decoder_graft.py).
    discriminator_from: Path | None = None
    # The output voice keeps float32 weights; by default they are float16, like the bundled voice
    # (half the file; the voice is computed in float32 once loaded).
    full_precision: bool = False
    # Warm-up of the source's untrained parts (a Piper ONNX import's posterior encoder; finetune/warmup_plan.py):
    # None: the default steps when the source has such parts; 0: none (the fine-tune then damages the voice).
    warmup_steps: int | None = None
    warmup_learning_rate: float | None = None
    # Each new speaker's pitch is measured against its recordings'; True stores the difference in the voice, applied
    # by WORLD whenever it speaks (finetune/pitch_match.py), False only reports it.
    match_pitch: bool = False
    # Each style label is measured against the neutral one, in the voice's speech and the data's; True stores what the
    # voice misses (pitch, range, whisper, level), applied by WORLD whenever the label is asked for
    # (finetune/style_match.py), False only reports it.
    match_style: bool = False


@dataclass
class FinetunePlan:
    source: FinetuneSource
    data: FinetuneData
    metadata: VoiceMetadata  # grown tables, fine-tuning schedule
    module: VitsTrainingModule  # the source's weights loaded, the freeze applied
    report: FinetuneReport
    freeze: FreezeSummary
    presets: tuple[FreezeSummary, ...]  # what every preset would train, for the CLI listing
    output: Path
    run_dir: Path
    options: FinetuneOptions
    warmup: WarmupPlan | None = None  # None: the source has no untrained parts (or the warm-up is off)


def _data_symbols(data: FinetuneData, source: VoiceMetadata, languages: Sequence[str]) -> list[str]:
    """Every token of the clips in the source voice's input scheme, in first-seen order (clips whose text
    cannot be phonemized are skipped here and listed in the run's data report later)."""
    rules = TextRules(source.config, languages)
    sequences = []
    for utterance in data.utterances:
        try:
            sequences.append(rules.utterance_tokens(utterance))
        except TextError:
            continue
    symbols = rules.vocabulary(sequences)
    if source.config.text.token_unit == "codepoint":  # a Piper voice's id map has one id per character
        return list(dict.fromkeys(char for symbol in symbols for char in symbol))
    return symbols


def _finetune_config(source: FinetuneSource, grown: VoiceMetadata, data: FinetuneData, options: FinetuneOptions) -> VoiceConfig:
    mixed = options.add_language is not None or len({u.language for u in data.utterances}) > 1
    training = finetune_training(grown.config.training, adversarial=source.discriminator is not None, mixed_languages=mixed)
    values = _override_values(options)
    config = dataclasses.replace(grown.config, training=training)
    return config.replace(**values) if values else config


def _override_values(options: FinetuneOptions) -> dict[str, object]:
    """``--set`` and the options that stand for config keys, as ``VoiceConfig.replace`` takes them."""
    values: dict[str, object] = dict(parse_overrides(options.overrides))
    for key, value in (
        ("training.max_steps", options.steps),
        ("training.learning_rate", options.learning_rate),
        ("training.language_temperature", options.language_temperature),
    ):
        if value is not None:
            values[key] = value
    return values


def _new_speaker_timbres(source: FinetuneSource, data: FinetuneData) -> dict[str, tuple[torch.Tensor, int]]:
    """With a reference encoder in the source, each new speaker's row starts at the timbre of its clips."""
    from polyvox.voice_file import build_generator
    from polyvox.inference.reference import timbre_vector

    if not data.new_speakers or not source.metadata.config.model.reference_encoder.enabled:
        return {}
    generator = build_generator(source.metadata)
    generator.load_state_dict(source.generator, strict=False)
    generator.eval()
    timbres = {}
    for speaker in data.new_speakers:
        clips = [u.audio for u in data.utterances if u.speaker == speaker][:TIMBRE_CLIPS]
        timbres[speaker] = (timbre_vector(generator, source.metadata.config.audio, clips), len(clips))
    return timbres


def _load_weights(
    module: VitsTrainingModule,
    source: FinetuneSource,
    metadata: VoiceMetadata,
    related: dict[str, str],
    timbres: dict[str, tuple[torch.Tensor, int]],
) -> FinetuneReport:
    """The source's weights into ``module`` (tables grown to ``metadata``'s), with an entry per tensor."""
    report = FinetuneReport(str(source.path), notes=list(source.notes))
    tables = grow_tables(source.generator, source.metadata, metadata, related, timbres)
    report.entries.extend(load_with_report(module.generator, source.generator, tables, "generator."))
    if source.discriminator is not None:
        report.entries.extend(load_with_report(module.discriminator, source.discriminator, {}, "discriminator."))
    return report


def _discriminator_note(module: VitsTrainingModule, source: FinetuneSource, preset: str) -> str:
    """What the run does with a discriminator, once the freeze preset says whether its steps decode at all."""
    training = module.config.training
    if not module.trains_waveform():
        return (
            f"--freeze {preset}: no waveform loss reaches a weight that trains, so the steps skip the decoder and the "
            "discriminator (KL and duration losses only)"
        )
    if source.discriminator is not None:
        return "discriminator loaded from the checkpoint: the adversarial loss continues from step 0"
    if training.discriminator_start_step < training.max_steps:
        return f"no discriminator in the source: a fresh one, initialised at random, joins at step {training.discriminator_start_step}"
    return "no discriminator in the source (voice files carry none): trained on mel, KL and duration losses only"


def _held_languages(source: VoiceMetadata, config: VoiceConfig) -> tuple[str, ...]:
    """The languages ``training.source_prior_weight`` holds to the source's prior (none when it is off)."""
    training = config.training
    if training.source_prior_weight <= 0:
        return ()
    held = training.source_prior_languages or source.languages
    unknown = [language for language in held if language not in source.languages]
    if unknown:
        raise FinetuneSetupError(
            f"training.source_prior_languages names {', '.join(unknown)}, which the source voice does not speak; "
            f"choose among {', '.join(source.languages)}"
        )
    return tuple(held)


def _hold_source_prior(module: VitsTrainingModule, held: Sequence[str], metadata: VoiceMetadata, report: FinetuneReport) -> None:
    """A frozen copy of the text encoder as loaded (the source's, tables grown) holds ``held`` to their prior."""
    from polyvox.train.source_prior import SourcePrior

    if not held:
        return
    module.source_prior = SourcePrior(module.generator.text_encoder, [metadata.languages.index(language) for language in held])
    weight = metadata.config.training.source_prior_weight
    report.notes.append(f"source prior: {', '.join(held)} held to the source's text prior (weight {weight:g})")


def plan_finetune(source_path: str | Path, data_path: str | Path, output: str | Path, run_dir: str | Path, options: FinetuneOptions) -> FinetunePlan:
    """Everything before training: nothing is computed from audio yet."""
    from polyvox.train.module import VitsTrainingModule

    run_dir, output = Path(run_dir), Path(output)
    preset = options.freeze or ("language" if options.add_language else "voice")
    check_preset(preset)
    if not options.resume and checkpoint_files(run_dir / "checkpoints"):
        raise FinetuneSetupError(
            f"{run_dir} holds the checkpoints of an earlier run: add --resume to continue it, or choose another --run-dir"
        )
    source = load_source(source_path, options.source_config, options.phoneme_map, options.source_language)
    if options.discriminator_from is not None:
        source = with_discriminator(source, Path(options.discriminator_from))
    # Checked before select_data writes the combined manifest into the run folder: a bad --set as well.
    held = _held_languages(source.metadata, source.metadata.config.replace(**_override_values(options)))
    warmup = plan_warmup(source.metadata, options.warmup_steps, options.warmup_learning_rate)
    if options.language_init is not None:
        if options.add_language is None:
            raise FinetuneSetupError("--language-init only applies with --add-language")
        if options.language_init not in source.metadata.languages:
            raise FinetuneSetupError(
                f"--language-init {options.language_init}: the voice does not speak it; choose one of {', '.join(source.metadata.languages)}"
            )
    data = select_data(
        source.metadata, Path(data_path), run_dir, options.replay, options.add_language, options.speaker, options.require_replay
    )
    languages = [*source.metadata.languages, *data.new_languages]
    symbols = _data_symbols(data, source.metadata, languages)
    grown = grow_metadata(source.metadata, symbols, data.new_languages, data.new_speakers)
    info = with_data_speakers(dict(grown.info, finetuned_from=source.path.name), grown.languages, grown.speakers, data.utterances)
    if "steps" in grown.info:
        info["source_steps"] = grown.info["steps"]
    if warmup is not None:  # the output's parts are all trained
        info.pop(UNTRAINED_INFO)
        info["warmup_steps"] = str(warmup.steps)
    metadata = dataclasses.replace(grown, config=_finetune_config(source, grown, data, options), info=info)
    # Parts the source lacks (a new style component, a fresh discriminator) start from the run's seed, not from
    # whatever the process drew before: the same options give the same run.
    torch.manual_seed(metadata.config.training.seed)
    module = VitsTrainingModule(metadata)
    related = dict.fromkeys(added_languages(options.add_language), options.language_init) if options.language_init else {}
    report = _load_weights(module, source, metadata, related, _new_speaker_timbres(source, data))
    fresh = new_components(module.generator, source.generator.keys())
    presets = tuple(summarize(module.generator, name, fresh) for name in FREEZE_PRESETS)
    freeze = apply_freeze(module.generator, preset, fresh)
    report.notes.append(_discriminator_note(module, source, preset))
    _hold_source_prior(module, held, metadata, report)
    if warmup is not None:
        report.notes.append(warmup.describe())
    report.write(run_dir / LOAD_REPORT_FILE)
    return FinetunePlan(source, data, metadata, module, report, freeze, presets, output, run_dir, options, warmup)
