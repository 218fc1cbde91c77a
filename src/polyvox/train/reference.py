"""Training the reference encoder: a clip's log-mel -> its speaker's row in the speaker table.

The speaker table defines the timbre space; the encoder learns to land each trained speaker's clips on
that speaker's row, from random crops of varying length so short references work. It trains with the
generator (``reference_loss`` is part of the generator loss when the encoder is enabled) or on its own
for a voice that was trained without one (``attach_reference_encoder``): the rest of the voice is then
left exactly as it was.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path

from polyvox.voice_file import VoiceMetadata, build_generator, load_voice_file, save_voice
from polyvox.train.reference_loss import nearest_speaker_accuracy, random_crops, reference_loss

# Re-exported: the losses live in reference_loss.py, which the training module imports without this file's
# training set-up (and its import of the data pipeline).
__all__ = ["attach_reference_encoder", "nearest_speaker_accuracy", "random_crops", "reference_loss", "with_reference_encoder"]

logger = logging.getLogger(__name__)

DEFAULT_ATTACH_STEPS = 1500
DEFAULT_ATTACH_LEARNING_RATE = 1e-3


@dataclass(frozen=True)
class AttachResult:
    voice_path: Path
    steps: int
    final_loss: float
    validation_accuracy: float | None  # nearest-speaker accuracy on held-out clips


def with_reference_encoder(metadata: VoiceMetadata) -> VoiceMetadata:
    config = metadata.config.replace(**{"model.reference_encoder.enabled": True})
    return dataclasses.replace(metadata, config=config)


def attach_reference_encoder(
    voice_path: str | Path,
    manifest: str | Path,
    output: str | Path,
    run_dir: str | Path,
    steps: int = DEFAULT_ATTACH_STEPS,
    batch_size: int = 32,
    learning_rate: float = DEFAULT_ATTACH_LEARNING_RATE,
    half: bool = False,
    progress: bool = True,
) -> AttachResult:
    """Train a reference encoder for an existing voice on clips of its own speakers; every other
    weight is copied unchanged into ``output``."""
    import lightning as L
    from torch.utils.data import DataLoader

    from polyvox.data.dataset import TtsDataset, collate
    from polyvox.train.reference_module import ReferenceEncoderModule
    from polyvox.train.run import TrainingSetupError, prepare_data

    tensors, source_metadata = load_voice_file(voice_path)
    if source_metadata.config.model.reference_encoder.enabled:
        raise TrainingSetupError(f"{voice_path} already has a reference encoder")
    metadata = with_reference_encoder(source_metadata)
    data = prepare_data(manifest, Path(run_dir), metadata.config, False, metadata, progress, validation_per_language=4)
    generator = build_generator(data.metadata)
    missing, unexpected = generator.load_state_dict(tensors, strict=False)
    if unexpected or any(not name.startswith("reference_encoder.") for name in missing):
        raise TrainingSetupError(f"{voice_path}: weights do not match its own config (missing {missing[:5]}, unexpected {unexpected[:5]})")
    module = ReferenceEncoderModule(generator, metadata.config.model.reference_encoder.crop_frames, learning_rate)
    train_loader = DataLoader(
        TtsDataset(data.train_items, data.cache), batch_size=batch_size, shuffle=True, collate_fn=collate, drop_last=False
    )
    validation = collate([TtsDataset(data.validation_items, data.cache)[i] for i in range(len(data.validation_items))]) if data.validation_items else None
    trainer = L.Trainer(
        accelerator="cpu", max_steps=steps, logger=False, enable_checkpointing=False, enable_progress_bar=progress,
        enable_model_summary=False, num_sanity_val_steps=0,
    )
    trainer.fit(module, train_dataloaders=train_loader)
    accuracy = nearest_speaker_accuracy(generator.eval(), validation) if validation is not None else None
    info = dict(source_metadata.info, reference_encoder={"steps": steps, "validation_nearest_speaker_accuracy": accuracy})
    saved = save_voice(output, generator.state_dict(), dataclasses.replace(data.metadata, info=info), half=half)
    logger.info("reference encoder trained %d steps, final loss %.4f, held-out nearest-speaker accuracy %s", steps, module.last_loss, accuracy)
    return AttachResult(saved, steps, module.last_loss, accuracy)
