"""The student: a preset's architecture with its fast four-band decoder, holding the source's tables (symbols,
languages, speakers) and text scheme, so it reads the same text into the same ids as the source."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from polyvox.voice_file import VoiceMetadata, build_generator, save_voice
from polyvox.config import VoiceConfig, preset
from polyvox.distill.options import DistillError, DistillOptions, settled_config


def student_config(source: VoiceMetadata, options: DistillOptions) -> VoiceConfig:
    """The preset's model at the source's audio and text settings, trained for ``options.steps``, with the
    ``--set`` overrides applied last (they win over what distill chose)."""
    base = preset(options.preset, source.languages, len(source.speakers))
    audio = source.config.audio
    # The source's scheme (fused symbols for imported voices, features for polyvox's) keeps its symbol table meaningful.
    text_encoder = dataclasses.replace(
        base.model.text_encoder, prosody_embeddings=source.config.model.text_encoder.prosody_embeddings
    )
    model = dataclasses.replace(base.model, text_encoder=text_encoder)
    training = dataclasses.replace(
        base.training,
        max_steps=options.steps,
        seed=options.seed,
        batch_size=options.batch_size,
        checkpoint_every_steps=options.checkpoint_every_steps,
        audio_samples_every_steps=max(options.checkpoint_every_steps, base.training.audio_samples_every_steps),
        # The corpus comes with the source's own durations: every clip is aligned already.
        use_manifest_durations=True,
    )
    config = settled_config(VoiceConfig(audio=audio, text=source.config.text, model=model, training=training), options.overrides)
    if config.model.decoder.total_upsampling != audio.hop_length:
        raise DistillError(
            f"the source voice's hop is {audio.hop_length} samples; the {options.preset} student's decoder makes "
            f"{config.model.decoder.total_upsampling} per frame: distill needs a voice with a hop of {config.model.decoder.total_upsampling}"
        )
    return config


def student_metadata(source: VoiceMetadata, options: DistillOptions, source_name: str) -> VoiceMetadata:
    info = {"distilled_from": source_name, "distill_preset": options.preset}
    return VoiceMetadata(student_config(source, options), source.symbols, source.languages, source.speakers, info)


def initial_student(metadata: VoiceMetadata, path: Path, seed: int) -> Path:
    """The untrained student as a voice file: training starts from it (``train(init_from=...)``), which is what
    gives the run the source's tables instead of ones built from the corpus."""
    import torch

    with torch.random.fork_rng():  # the caller's random state is left as it was
        torch.manual_seed(seed)
        generator = build_generator(metadata)
    return save_voice(path, generator.state_dict(), metadata)
