"""``polyvox train``: manifest -> features -> Lightning fit -> voice file, resumable."""

from __future__ import annotations

import dataclasses
import json
import logging
import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from polyvox.voice_file import VoiceMetadata, load_voice_file
from polyvox.config import VoiceConfig
from polyvox.data.coverage import report_data_coverage
from polyvox.data.data_report import DURATION_MISMATCH, REPORT_FILE, DataReport, SkippedClip
from polyvox.data.dataset import EncodedUtterance, encode_utterance
from polyvox.data.default_speakers import with_data_speakers
from polyvox.data.feature_shards import cache_for
from polyvox.data.features_cache import FeatureCache
from polyvox.data.manifest import Utterance, read_manifest, require_manifest
from polyvox.data.short_clips import apply_short_clip_policy
from polyvox.data.text_screen import phoneme_rate_problem, screen_text, text_skip
from polyvox.errors import TrainingSetupError
from polyvox.fingerprint import require_compatible
from polyvox.models.minimum_length import minimum_input
from polyvox.text.errors import TextError
from polyvox.text.frontend import TextFrontend
from polyvox.text.rules import TextRules
from polyvox.text.symbols import SymbolTable
from polyvox.text.text_features import TextFeatureExtractor
from polyvox.train.callbacks import checkpoint_files
from polyvox.train.run_config import RUN_FILE, require_same_architecture, stored_run_metadata

if TYPE_CHECKING:
    from polyvox.finetune.style_match import StyleMatch
    from polyvox.train.language_validation import LanguageValidation

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainingResult:
    voice_path: Path
    steps: int
    checkpoint: Path | None
    already_complete: bool = False  # resumed a run that had reached max_steps: nothing was trained
    style: tuple[StyleMatch, ...] = ()  # each style label against neutral, the voice's and the data's (``match_style``)


def split_validation(utterances: list[Utterance], per_language: int, seed: int) -> tuple[list[Utterance], list[Utterance]]:
    """A fixed handful of clips per language is held out for validation."""
    generator = random.Random(seed)
    by_language: dict[str, list[int]] = {}
    for index, utterance in enumerate(utterances):
        by_language.setdefault(utterance.language, []).append(index)
    held_out: set[int] = set()
    for indices in by_language.values():
        if len(indices) > per_language * 2:
            held_out.update(generator.sample(indices, per_language))
    training = [u for i, u in enumerate(utterances) if i not in held_out]
    validation = [u for i, u in enumerate(utterances) if i in held_out]
    return training, validation


def _ordered_unique(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))


def prepare_metadata(config: VoiceConfig, utterances: list[Utterance], frontend: TextFrontend | None = None) -> VoiceMetadata:
    languages = _ordered_unique([u.language for u in utterances])
    speakers = _ordered_unique([u.speaker for u in utterances])
    rules = TextRules(config, languages, frontend=frontend)
    symbols = SymbolTable.base().extend(rules.vocabulary(rules.utterance_tokens(u) for u in utterances))
    config = config.replace(**{"text.languages": list(languages), "model.n_speakers": len(speakers)})
    if config.model.style.enabled:
        # The manifest's style labels after any the config names: each gets a row of the style table.
        labels = _ordered_unique([*config.model.style.labels, *(u.style for u in utterances if u.style is not None)])
        config = config.replace(**{"model.style.labels": list(labels)})
    info = with_data_speakers({}, languages, speakers, utterances)
    return VoiceMetadata(config=config, symbols=symbols, languages=languages, speakers=speakers, info=info)


def load_or_create_metadata(
    run_dir: Path, config: VoiceConfig, utterances: list[Utterance], resume: bool, init_from: VoiceMetadata | None,
    frontend: TextFrontend | None = None,
) -> VoiceMetadata:
    """The run's tables (symbols, languages, speakers): stored in the run folder, so a resumed run
    uses exactly the ids it started with. From an existing voice (``init_from``), its own tables."""
    run_file = run_dir / RUN_FILE
    from_run = stored_run_metadata(run_dir) if resume else None
    if from_run is not None:
        stored = from_run
        require_same_architecture(stored, config, run_dir)
    elif init_from is not None:
        stored = init_from
        require_compatible(stored, config, "the --init-from voice", partial_option="a config with the voice's own architecture")
    else:
        stored = prepare_metadata(config, utterances, frontend)
    # Checked equal above: the tables come from the run (or voice), the training schedule from the caller.
    metadata = dataclasses.replace(stored, config=dataclasses.replace(stored.config, training=config.training))
    run_dir.mkdir(parents=True, exist_ok=True)
    run_file.write_text(json.dumps(metadata.to_strings(), ensure_ascii=False, indent=1))
    return metadata


def followed_metadata(run_dir: Path, config: VoiceConfig) -> VoiceMetadata:
    """A follower rank's tables: exactly those rank 0 stored for this launch."""
    stored = stored_run_metadata(run_dir)
    if stored is None:
        raise TrainingSetupError(f"{run_dir} has no {RUN_FILE} from rank 0; start every rank with the same run folder")
    return dataclasses.replace(stored, config=dataclasses.replace(stored.config, training=config.training))


def encode_all(
    utterances: list[Utterance], metadata: VoiceMetadata, cache: FeatureCache, rules: TextRules | None = None,
    text_features: TextFeatureExtractor | None = None,
) -> tuple[list[EncodedUtterance], list[SkippedClip]]:
    """Ids for each clip; a clip whose text cannot be encoded, or whose duration does not fit its
    text, is skipped with its reason instead of stopping the run. ``rules``: the voice's, when already built;
    ``text_features``: the voice's text-feature model (needed when it has one; cached beside the audio features)."""
    rules = rules or TextRules.of(metadata)
    if metadata.config.model.text_features.enabled and text_features is None:
        text_features = run_text_features(metadata.config)
    speaker_table = {speaker: index for index, speaker in enumerate(metadata.speakers)}
    style_table = {label: index for index, label in enumerate(metadata.config.model.style.labels)}
    config = metadata.config
    encoded: list[EncodedUtterance] = []
    skipped: list[SkippedClip] = []
    for utterance in utterances:
        frames = cache.load(utterance)[1].shape[1]
        try:
            tokens = rules.utterance_tokens(utterance)
            item = encode_utterance(
                utterance, tokens, rules, speaker_table, frames, config.audio, style_table, config.training.use_manifest_durations
            )
            if text_features is not None:
                features = text_features.cached_features(utterance.text, utterance.language, tokens, rules, cache.cache_dir / "text_features")
                item = dataclasses.replace(item, text_features=features)
        except TextError as error:
            skipped.append(text_skip(utterance, error))
            continue
        problem = phoneme_rate_problem(tokens, frames * config.audio.hop_length / config.audio.sample_rate, config.training)
        if problem is not None:
            skipped.append(SkippedClip(utterance.audio, DURATION_MISMATCH, problem))
            continue
        encoded.append(item)
    return encoded, skipped


def run_text_features(config: VoiceConfig) -> TextFeatureExtractor:
    """The text-feature model a run trains with, from the folder its config names (checked against its sha256)."""
    section = config.model.text_features
    return TextFeatureExtractor.for_voice(section, section.folder or None, "this run", "polyvox train/finetune --text-features FOLDER")


@dataclass(frozen=True)
class PreparedData:
    metadata: VoiceMetadata
    cache: FeatureCache
    train_items: list[EncodedUtterance]
    validation_items: list[EncodedUtterance]
    report: DataReport


def prepare_data(
    manifest: str | Path,
    run_dir: Path,
    config: VoiceConfig,
    resume: bool,
    initial_metadata: VoiceMetadata | None,
    progress: bool,
    validation_per_language: int,
    follower: bool = False,
) -> PreparedData:
    """Manifest -> checked, cached and encoded clips; every clip left out is listed in RUN/data_report.json.
    A ``follower`` rank of a multi-process run reads the tables and features rank 0 prepared and writes nothing."""
    utterances = read_manifest(manifest)
    if not utterances:
        raise TrainingSetupError(f"{manifest} has no utterances")
    training_config = config.training
    # One front end for the whole preparation: screening, the run's tables, encoding and coverage.
    screening = TextRules(config, _ordered_unique([u.language for u in utterances]))
    usable, skipped = screen_text(utterances, screening)
    if not usable:
        raise TrainingSetupError(f"no clip of {manifest} has text that can be phonemized; first problem: {skipped[0].detail}")
    metadata = (
        followed_metadata(run_dir, config) if follower
        else load_or_create_metadata(run_dir, config, usable, resume, initial_metadata, screening.frontend)
    )
    rules = TextRules.of(metadata, screening.frontend)
    config = metadata.config
    cache = cache_for(run_dir / "cache", config.audio, training_config.silence_rms_threshold, training_config.max_clip_s, manifest)
    usable, bad_audio = cache.ensure(usable, progress=progress, workers=training_config.feature_workers)
    skipped.extend(bad_audio)
    known = [u for u in usable if u.speaker in metadata.speakers and u.language in metadata.languages]
    if len(known) < len(usable):
        logger.warning(
            "%d clip(s) have a speaker or language this run's voice does not have and are left out "
            "(the voice has speakers %s and languages %s)",
            len(usable) - len(known), ", ".join(metadata.speakers), ", ".join(metadata.languages),
        )
    training_set, validation_set = split_validation(known, validation_per_language, training_config.seed)
    features = run_text_features(config) if config.model.text_features.enabled else None
    train_items, bad_train = encode_all(training_set, metadata, cache, rules, features)
    validation_items, bad_validation = encode_all(validation_set, metadata, cache, rules, features)
    minimum = minimum_input(config)
    logger.info("%s", minimum.describe())
    train_items, short_report = apply_short_clip_policy(train_items, minimum.frames, training_config.short_clip_policy)
    validation_items, short_validation = apply_short_clip_policy(validation_items, minimum.frames, training_config.short_clip_policy)
    short_clips = []
    for short, which in ((short_report, "training"), (short_validation, "validation")):
        if short.clips:
            logger.warning("%s: %s", which, short.describe())
        action = "padded" if short.policy == "pad" else "dropped"
        short_clips.extend(
            {"audio": clip.audio, "frames": clip.frames, "required_frames": clip.required_frames, "action": action, "set": which}
            for clip in short.clips
        )
    training_clips = [item.utterance for item in train_items]
    coverage = report_data_coverage(training_clips, rules.utterance_tokens, "the training data")
    report = DataReport(str(manifest), len(utterances), skipped + bad_train + bad_validation, short_clips, coverage)
    report_path = run_dir / REPORT_FILE if follower else report.write(run_dir)
    (logger.warning if report.skipped else logger.info)("%s; see %s", report.summary(), report_path)
    if not train_items:
        raise TrainingSetupError(
            f"no training clip is left ({report.summary()}; see {report_path}); with short clips, "
            "set training.short_clip_policy='pad' or add longer clips"
        )
    with_durations = sum(item.durations is not None for item in train_items)
    with_windows = sum(item.duration_windows is not None for item in train_items)
    logger.info(
        "%d training clips (%d with phoneme durations, %d aligned within them), %d validation clips, %d symbols, languages %s, %d speakers",
        len(train_items), with_durations, with_windows, len(validation_items), len(metadata.symbols), ",".join(metadata.languages),
        len(metadata.speakers),
    )
    return PreparedData(metadata, cache, train_items, validation_items, report)


def language_validation_callbacks(
    metadata: VoiceMetadata, validation_items: list[EncodedUtterance], cache: FeatureCache, listeners: Sequence[Any] = ()
) -> list[LanguageValidation]:
    """Per-language validation figures and the forgetting warning (none without held-out clips);
    ``listeners`` receive each validation's figures (see ``LanguageValidation``)."""
    from polyvox.train.language_validation import LanguageValidation, language_batches
    from polyvox.train.validation_figures import EvaluateFigures

    batches = language_batches(validation_items, cache)
    unmeasured = [language for language in metadata.languages if language not in batches]
    if unmeasured:
        logger.warning(
            "no validation clips for language(s) %s (too few clips to hold any out, or none in the data): "
            "their progress and any forgetting cannot be measured",
            ", ".join(unmeasured),
        )
    if not batches:
        return []
    evaluate = EvaluateFigures(metadata.config.audio.sample_rate, metadata.config.audio.hop_length)
    return [LanguageValidation(batches, metadata.config.training.forgetting_margin, evaluate, listeners)]


def train(
    manifest: str | Path,
    run_dir: str | Path,
    config: VoiceConfig,
    resume: bool = False,
    accelerator: str | None = None,
    devices: int | str | None = None,
    progress: bool = True,
    validation_per_language: int = 2,
    validate_every_steps: int | None = None,
    init_from: str | Path | None = None,
    overwrite: bool = False,
    nodes: int | None = None,
    strategy: str | None = None,
    match_style: bool = False,
) -> TrainingResult:
    """Train on ``manifest`` in ``run_dir``. ``resume`` continues the newest checkpoint exactly;
    ``init_from`` starts from a voice file's weights and tables (e.g. to continue a shipped voice).
    A folder that holds a run is refused unless ``resume`` or ``overwrite``; one run trains in it at a time.
    ``devices`` processes on each of ``nodes`` machines train it together (``strategy``: auto or ddp); each of
    the four, when None, is the config's (``training.accelerator`` and so on). A voice with style labels is measured
    against the data's labelled clips when done, and with ``match_style`` what it misses is stored
    (finetune/style_match.py)."""
    from polyvox.train.ranks import is_follower, require_launch_name, wait_until_ready
    from polyvox.train.run_folder import CHECKPOINT_FOLDER, VOICE_FILE, completed_run, open_run_folder
    from polyvox.train.trainer_setup import training_strategy

    given = config.training
    accelerator = given.accelerator if accelerator is None else accelerator
    devices = given.devices if devices is None else devices
    nodes = given.nodes if nodes is None else nodes
    strategy = given.strategy if strategy is None else strategy

    training_strategy(devices, nodes, strategy)  # a bad choice is refused before anything is written
    if given.source_prior_weight > 0:
        raise TrainingSetupError(
            "training.source_prior_weight holds a fine-tune to the voice it starts from: use it with polyvox finetune, "
            "or leave it at 0"
        )
    sampler = config.model.style_sampler
    if sampler.enabled and sampler.condition_normalization == "raw":
        # The default keeps voices trained before the option as they were; a new voice should not take it.
        logger.warning(
            "model.style_sampler.condition_normalization is 'raw': the sampler will hardly read the sentence (measured in "
            "docs/synthesis.md); set it to 'standardized', and training.style_sampler_learning_rate to about 4x the learning rate"
        )
    require_launch_name(nodes)
    require_manifest(manifest)  # so is a missing manifest: no empty run folder is left behind
    run_dir = Path(run_dir)
    if is_follower():
        # Rank 0 holds the folder and has checked that starting loses nothing; this process only trains.
        wait_until_ready(run_dir)
        logging.getLogger("polyvox").setLevel(logging.ERROR)  # rank 0 tells the run's story
        return _train_in_folder(
            manifest, run_dir, config, resume, accelerator, devices, False, validation_per_language, validate_every_steps, init_from,
            follower=True, nodes=nodes, strategy=strategy,
        )
    with open_run_folder(run_dir, resume, overwrite):
        complete = completed_run(run_dir / CHECKPOINT_FOLDER, config.training.max_steps) if resume else None
        if complete is not None:
            logger.warning(
                "the run in %s is complete: %s reached max_steps (%d); nothing to train (raise --max-steps to go on)",
                run_dir, complete.path.name, config.training.max_steps,
            )
            return TrainingResult(run_dir / VOICE_FILE, complete.steps_done, complete.path, already_complete=True)
        result = _train_in_folder(
            manifest, run_dir, config, resume, accelerator, devices, progress, validation_per_language, validate_every_steps, init_from,
            nodes=nodes, strategy=strategy,
        )
        return with_style_report(result, manifest, config, match_style)


def with_style_report(result: TrainingResult, manifest: str | Path, config: VoiceConfig, store: bool) -> TrainingResult:
    """``result`` with its voice's style labels measured against the manifest's labelled clips (and, with ``store``,
    what the voice misses stored in it: finetune/style_match.py); as it was for a voice without labels."""
    if not config.model.style.enabled:  # the labels may be the manifest's, written into the voice by the run
        return result
    utterances = read_manifest(manifest)
    if not any(utterance.style is not None for utterance in utterances):
        return result
    from polyvox.finetune.style_match import match_style_prosody

    matches = match_style_prosody(result.voice_path, utterances, False, config.training.seed, store)
    return dataclasses.replace(result, style=tuple(matches))


def _train_in_folder(
    manifest: str | Path,
    run_dir: Path,
    config: VoiceConfig,
    resume: bool,
    accelerator: str,
    devices: int | str,
    progress: bool,
    validation_per_language: int,
    validate_every_steps: int | None,
    init_from: str | Path | None,
    follower: bool = False,
    nodes: int = 1,
    strategy: str = "auto",
) -> TrainingResult:
    import lightning as L

    from polyvox.train.module import VitsTrainingModule
    from polyvox.train.ranks import clear_ready, mark_ready
    from polyvox.train.run_folder import VOICE_FILE
    from polyvox.train.lightning_output import lightning_output
    from polyvox.train.trainer_setup import build_training_loop, fit, resume_point

    training_config = config.training
    L.seed_everything(training_config.seed, workers=True, verbose=False)
    initial_weights, initial_metadata = (None, None)
    if init_from is not None:
        initial_weights, initial_metadata = load_voice_file(init_from)
    if not follower:
        clear_ready(run_dir)
    data = prepare_data(manifest, run_dir, config, resume, initial_metadata, progress, validation_per_language, follower)
    if not follower:
        mark_ready(run_dir)
    metadata = data.metadata
    voice_path = run_dir / VOICE_FILE
    # Lightning's lines once each, as the program's own, from the Trainer's construction to the end.
    with lightning_output():
        loop = build_training_loop(
            run_dir, training_config, data.train_items, data.validation_items, data.cache,
            language_validation_callbacks(metadata, data.validation_items, data.cache),
            validate_every_steps or training_config.audio_samples_every_steps, progress, accelerator, devices, voice_path,
            nodes, strategy,
        )
        module = VitsTrainingModule(metadata)
        if initial_weights is not None and not resume:
            module.generator.load_state_dict(initial_weights, strict=True)
            # Continue the step count (and so the schedule, e.g. when the discriminator joins) of the voice.
            module.steps_done = int(metadata.info.get("steps", 0))
            loop.sampler.load_state_dict({"batches_done": module.steps_done})
            module.stream_position = module.steps_done * loop.trainer.world_size
            logger.info("starting from %s (trained %d steps)", init_from, module.steps_done)
        resume_from = resume_point(loop) if resume else None
        fit(loop, module, resume_from)
    if loop.trainer.is_global_zero:
        from polyvox.train.style_sampler_fit import fit_voice_file_sampler

        fit_voice_file_sampler(voice_path, data.train_items, data.cache, training_config, half=False)
    final = checkpoint_files(loop.checkpoint_dir)
    return TrainingResult(voice_path=voice_path, steps=module.steps_done, checkpoint=final[-1] if final else None)
