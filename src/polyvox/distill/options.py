"""What ``polyvox distill`` is asked to do: the typed options and the error it raises."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from polyvox.config import PRESETS, ConfigError, VoiceConfig, preset
from polyvox.config_files import parse_overrides
from polyvox.errors import TrainingSetupError

# Sentences each speaker speaks in each of its languages: ~40 min of speech for one speaker, as much as the
# espeak-ng corpora that taught the bundled voice give each speaker.
DEFAULT_SENTENCES = 800
DEFAULT_STEPS = 20_000
DEFAULT_PRESET = "small"
# What the student is: "whole" (the preset's whole model, trained on the source's speech), "decoder" (the
# source itself with the preset's fast decoder in place of its own, trained on what the source decoder makes)
# or "flow-decoder" (the same, the fast decoder also taking the place of the flow: it reads the prior's sample).
STUDENTS = ("whole", "decoder", "flow-decoder")
# What a decoder student's settings may change: its decoder (the rest of the voice is the source's).
DECODER_SETTINGS = "model.decoder."
RECORDING_LATENTS = ("posterior", "synthesis")


class DistillError(TrainingSetupError):
    """A distillation that cannot run as asked; the message says what to change."""


def settled_config(config: VoiceConfig, overrides: tuple[str, ...]) -> VoiceConfig:
    """``config`` with ``--set`` overrides applied; a malformed one or a key the config does not have is a
    DistillError naming it."""
    if not overrides:
        return config
    try:
        return config.replace(**parse_overrides(overrides))
    except ConfigError as error:
        raise DistillError(f"--set: {error}") from error


@dataclass(frozen=True)
class DistillOptions:
    """``source``: a polyvox voice file (an imported Piper voice included) or a Piper ``.onnx`` voice.
    ``output``: the student's voice file. ``work``: the corpus and the training run (None: beside ``output``,
    ``<output stem>.distill/``); a second call with the same work folder goes on where the first stopped."""

    source: Path
    output: Path
    work: Path | None = None
    sentences_per_speaker: int = DEFAULT_SENTENCES  # per speaker and language
    steps: int = DEFAULT_STEPS
    # The student's architecture: the preset's text encoder, flow, duration predictor and its fast four-band decoder.
    preset: str = DEFAULT_PRESET
    seed: int = 0
    batch_size: int = 16
    checkpoint_every_steps: int = 250
    overwrite: bool = False  # replace an existing output file (the work folder is always resumed)
    student: str = "whole"
    progress: bool = True
    # ``section.key=value`` settings of the student's config on top of the preset's (``--set``), e.g.
    # ``model.decoder.balanced_upsampling=true``; a decoder student takes ``model.decoder.*`` ones only.
    overrides: tuple[str, ...] = ()
    # Decoder students: the preset's discriminator joins after this many steps of spectral losses (None: never).
    discriminator_after: int | None = None
    # Decoder students: learn to make these recordings (a manifest) instead of the source decoder's own speech
    # (recording_pairs.py).
    recordings: Path | None = None
    # What the student reads of each recording: "posterior" (the posterior encoder's reading of it, sampled afresh each
    # step, as voice training) or "synthesis" (the latent the source decodes for its sentence, timed as the recording:
    # on the bundled voice's corpus it kept the words far worse, docs/training.md).
    recording_latent: str = "posterior"
    # Decoder students: start from the source's own decoder (the same architecture; new parts such as a harmonic source
    # from zero) instead of fresh weights.
    decoder_from_source: bool = False

    def __post_init__(self) -> None:
        if self.sentences_per_speaker < 3:
            raise DistillError(f"--sentences must be >= 3 (a few are held out for validation), got {self.sentences_per_speaker}")
        if self.steps < 1:
            raise DistillError(f"--steps must be >= 1, got {self.steps}")
        if self.preset not in PRESETS:
            raise DistillError(f"unknown preset {self.preset!r}; choose one of {', '.join(PRESETS)}")
        if self.student not in STUDENTS:
            raise DistillError(f"unknown student {self.student!r}; choose one of {', '.join(STUDENTS)}")
        for item in self.overrides:
            if self.student != "whole" and "=" in item and not item.startswith(DECODER_SETTINGS):
                raise DistillError(
                    f"--set {item!r}: a {self.student} student takes {DECODER_SETTINGS}* settings only (the rest of "
                    "the voice is the source's)"
                )
        # Every setting is checked against the preset here, before the work folder is claimed for them.
        settled_config(preset(self.preset), self.overrides)
        if self.discriminator_after is not None:
            if self.student == "whole":
                raise DistillError("--discriminator-after is for decoder students (--student decoder or flow-decoder); "
                                   "a whole student trains with its preset's discriminator already")
            if not 0 <= self.discriminator_after < self.steps:
                raise DistillError(f"--discriminator-after must be between 0 and --steps - 1 ({self.steps - 1}), "
                                   f"got {self.discriminator_after}")
        if self.recordings is not None:
            if self.student == "whole":
                raise DistillError("--recordings is for decoder students (--student decoder or flow-decoder); a whole "
                                   "student learns from a manifest with polyvox finetune")
            if self.recording_latent not in RECORDING_LATENTS:
                raise DistillError(f"unknown --recording-latent {self.recording_latent!r}; choose {' or '.join(RECORDING_LATENTS)}")
            if not self.recordings.is_file():
                raise DistillError(f"--recordings {self.recordings}: no such manifest; give a manifest.jsonl")
        if self.decoder_from_source and self.student == "whole":
            raise DistillError("--decoder-from-source is for decoder students (--student decoder or flow-decoder)")
        if self.batch_size < 1 or self.checkpoint_every_steps < 1:
            raise DistillError("batch_size and checkpoint_every_steps must be >= 1")

    @property
    def work_folder(self) -> Path:
        return self.work if self.work is not None else self.output.with_name(f"{self.output.stem}.distill")
