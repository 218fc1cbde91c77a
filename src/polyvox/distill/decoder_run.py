"""``distill --student decoder``: the source voice with a fast decoder in place of its own.

Everything that decides what is said and how it is timed (text encoder, duration predictors, flow, speaker
table) stays the source's, bit for bit; only the decoder, most of the cost of synthesis, is replaced, and
it is trained on exactly what it will be asked: the latents the source computes for the planned sentences.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from polyvox.config import preset
from polyvox.voice_file import decoder_tensors, load_voice_file, save_voice
from polyvox.distill.decoder_pairs import build_pairs
from polyvox.distill.decoder_student import student_decoder_config, student_voice
from polyvox.distill.decoder_training import DecoderTraining, train_decoder
from polyvox.distill.options import DistillOptions
from polyvox.distill.plan import PlannedClip
from polyvox.distill.recording_pairs import build_recording_pairs
from polyvox.inference.voice import Voice

PAIRS_FOLDER = "decoder_pairs"
RECORDING_PAIRS_FOLDER = "recording_pairs"
RUN_FOLDER = "decoder_run"


def distill_decoder(source: Voice, source_path: Path, clips: Sequence[PlannedClip], options: DistillOptions):  # -> DistillResult
    from polyvox.distill.run import DistillResult

    work = options.work_folder
    config = student_decoder_config(source.metadata, options.preset, options.overrides)
    if options.recordings is None:
        pairs = build_pairs(source, work / PAIRS_FOLDER, clips, options.seed, options.progress)
        learned = "sentences of the source decoder's input and output"
    else:
        pairs = build_recording_pairs(
            source, options.recordings, work / RECORDING_PAIRS_FOLDER, options.seed, options.progress, options.recording_latent
        )
        read = "the latents the source decodes for them" if options.recording_latent == "synthesis" else "their posterior latents"
        learned = f"recordings of {options.recordings.name} with {read}"
    through_flow = options.student == "flow-decoder"
    training = DecoderTraining(
        steps=options.steps, batch_size=options.batch_size, checkpoint_every=options.checkpoint_every_steps,
        seed=options.seed, progress=options.progress, through_flow=through_flow,
        discriminator=None if options.discriminator_after is None else preset(options.preset).model.discriminator,
        discriminator_after=options.discriminator_after or 0,
    )
    tensors, metadata = load_voice_file(source_path)
    initial = decoder_tensors(tensors) if options.decoder_from_source else None
    decoder, result = train_decoder(pairs, source.metadata, config, work / RUN_FOLDER, training, initial)
    del source
    summary = f"{len(pairs)} {learned}; best held-out mel distance " \
              f"{result.best_validation:.3f} at step {result.best_step}"
    info = {
        "distilled_from": options.source.name, "distill_student": options.student, "distill_preset": options.preset,
        "decoder_steps": str(result.best_step), "decoder_validation_mel": f"{result.best_validation:.4f}",
    }
    if options.recordings is not None:
        info["decoder_recordings"] = options.recordings.name
        info["decoder_recording_latent"] = options.recording_latent
    if options.decoder_from_source:
        info["decoder_start"] = "source"
    if options.discriminator_after is not None:
        info["decoder_discriminator_after"] = str(options.discriminator_after)
    tensors, metadata = student_voice(tensors, metadata, decoder.state_dict(), config, info, through_flow)
    save_voice(options.output, tensors, metadata, half=True)
    return DistillResult(options.output, result.steps, None, result.already_complete, summary)

