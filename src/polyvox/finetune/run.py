"""``polyvox finetune``: a trained voice + a little data -> a new voice (a new speaker, or a new language).

Two stages, so the load report can be shown before any feature is computed: :func:`plan_finetune`
(``finetune/plan.py``) and :func:`run_finetune`, which prepares the features and trains, writing the
best validation step as the output voice.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from polyvox.voice_file import VoiceMetadata, save_voice
from polyvox.fingerprint import component_fingerprint
from polyvox.finetune.errors import FinetuneSetupError
from polyvox.finetune.plan import FinetuneOptions, FinetunePlan, plan_finetune
from polyvox.train.run import prepare_data

if TYPE_CHECKING:
    from polyvox.data.dataset import EncodedUtterance
    from polyvox.finetune.pitch_match import PitchMatch
    from polyvox.finetune.style_match import StyleMatch
    from polyvox.evaluation.listener import Listener
    from polyvox.train.language_validation import ValidationListener

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class FinetuneResult:
    voice_path: Path
    steps: int
    best_step: int | None  # None: nothing held out for validation, the last step was written
    best_score: float  # the mean over languages of ``best_figure`` at ``best_step``
    run_dir: Path
    best_figure: str = "mel_loss"
    pitch: tuple[PitchMatch, ...] = ()  # each new speaker's pitch against its recordings' (options.match_pitch)
    style: tuple[StyleMatch, ...] = ()  # each style label against neutral, the voice's and the recordings' (options.match_style)


def one_process(devices: int | str) -> int:
    """Fine-tuning trains in one process: its planning, warm-up and best-step voice are written by the process
    that plans them, which a second Lightning process (started by running the command again) would repeat
    and wait on. Several processes are refused with one line; "auto" is one device."""
    if str(devices) in ("1", "auto"):
        return 1
    raise FinetuneSetupError(
        f"--devices {devices}: fine-tuning runs in one process (several are not supported yet); leave out --devices, "
        "or train from the voice with several processes: polyvox train --init-from VOICE --devices N"
    )


def run_finetune(plan: FinetunePlan, progress: bool = True, accelerator: str = "cpu", devices: int | str = 1) -> FinetuneResult:
    """Prepare the features and train; the output voice is the step with the lowest validation mel loss
    (or the listener's error rate, with ``options.listener``). One
    process uses the run folder at a time (``plan_finetune`` already refused a run folder holding another run)."""
    from polyvox.train.run_folder import remove_partial_files, run_folder_lock

    devices = one_process(devices)

    with run_folder_lock(plan.run_dir):
        remove_partial_files(plan.run_dir)
        return _run_in_folder(plan, progress, accelerator, devices)


def _run_in_folder(plan: FinetunePlan, progress: bool, accelerator: str, devices: int | str) -> FinetuneResult:
    import lightning as L

    from polyvox.finetune.best import BestVoice
    from polyvox.train.listener_validation import LISTENER_FIGURE
    from polyvox.train.run import language_validation_callbacks
    from polyvox.train.lightning_output import lightning_output
    from polyvox.train.trainer_setup import build_training_loop, fit, resume_point

    run_dir, options, module = plan.run_dir, plan.options, plan.module
    training = plan.metadata.config.training
    L.seed_everything(training.seed, workers=True, verbose=False)
    listener = _load_listener(options.listener)  # before the features: a bad folder fails at once
    data = prepare_data(
        plan.data.manifest, run_dir, plan.metadata.config, options.resume, plan.metadata, progress, options.validation_per_language
    )
    if component_fingerprint(data.metadata) != component_fingerprint(plan.metadata):
        raise FinetuneSetupError(
            f"the run in {run_dir} was started with other tables or another architecture; resume with the same "
            "--from, --data, --replay, --add-language and --set model.* options, or start a new --run-dir"
        )
    half = not options.full_precision
    best = BestVoice(plan.output, "mel_loss" if listener is None else LISTENER_FIGURE, half=half)
    listeners = [*_listener_validation(listener, data.validation_items, plan.metadata), best]
    validation = language_validation_callbacks(plan.metadata, data.validation_items, data.cache, listeners=listeners)
    if not validation:
        logger.warning(
            "no clips held out for validation (a language needs more than %d clips): the output is the last step, "
            "not the best one", 2 * options.validation_per_language,
        )
    with lightning_output():  # Lightning's lines once each, as the program's own
        loop = build_training_loop(
            run_dir, training, data.train_items, data.validation_items, data.cache, [*validation, best],
            training.audio_samples_every_steps, progress, accelerator, devices,
            voice_path=None,  # the one voice file is the output, the best step: no voice of the newest checkpoint beside it
        )
        resume_from = resume_point(loop) if options.resume else None
        if plan.warmup is not None and resume_from is None:  # a checkpoint already holds the warmed-up parts
            from polyvox.finetune.warmup import run_warmup

            probe = data.validation_items or data.train_items
            source_speakers = range(len(plan.source.metadata.speakers))  # grown tables keep the source's rows first
            run_warmup(
                module, plan.warmup, data.train_items, probe, data.cache, run_dir, progress, _warmup_device(accelerator),
                source_speakers,
            )
        fit(loop, module, resume_from)
    if best.best_step is None and loop.trainer.is_global_zero:
        info = dict(plan.metadata.info, steps=str(module.steps_done))
        save_voice(plan.output, module.generator.state_dict(), dataclasses.replace(plan.metadata, info=info), half=half)
    if loop.trainer.is_global_zero:
        from polyvox.train.style_sampler_fit import fit_voice_file_sampler

        fit_voice_file_sampler(plan.output, data.train_items, data.cache, training, half)
    pitch: tuple[PitchMatch, ...] = ()
    if loop.trainer.is_global_zero and plan.data.new_speakers:
        from polyvox.finetune.pitch_match import match_speaker_pitch

        pitch = tuple(match_speaker_pitch(plan.output, plan.data.utterances, plan.data.new_speakers, half, training.seed, options.match_pitch))
    style: tuple[StyleMatch, ...] = ()
    if loop.trainer.is_global_zero and any(utterance.style is not None for utterance in plan.data.utterances):
        from polyvox.finetune.style_match import match_style_prosody

        style = tuple(match_style_prosody(plan.output, plan.data.utterances, half, training.seed, options.match_style))
    return FinetuneResult(plan.output, module.steps_done, best.best_step, best.best_score, run_dir, best.figure, pitch, style)


def _warmup_device(accelerator: str) -> str:
    import torch

    wants_gpu = accelerator in ("gpu", "cuda") or (accelerator == "auto" and torch.cuda.is_available())
    return "cuda" if wants_gpu else "cpu"


def _load_listener(folder: Path | None) -> Listener | None:
    if folder is None:
        return None
    from polyvox.evaluation.listener import Listener

    return Listener.load(folder, dnsmos=False)


def _listener_validation(listener: Listener | None, items: list[EncodedUtterance], metadata: VoiceMetadata) -> list[ValidationListener]:
    """The speech recognizer's figures at each validation, when a Whisper folder was given."""
    if listener is None:
        return []
    from polyvox.train.listener_validation import ListenerValidation

    listener.check_languages({item.utterance.language for item in items})
    return [ListenerValidation(listener, items, metadata.config.audio.sample_rate)]


def finetune(source: str | Path, data: str | Path, output: str | Path, run_dir: str | Path, options: FinetuneOptions = FinetuneOptions(), progress: bool = True) -> FinetuneResult:
    """Plan and run in one call (the Python entry point; the CLI prints the plan in between)."""
    return run_finetune(plan_finetune(source, data, output, run_dir, options), progress=progress)
