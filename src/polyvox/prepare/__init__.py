"""``polyvox prepare``: raw recordings to a training-ready manifest, one step per module.

inputs (what is read) -> audio_cleaning (block by block into a signal_file: down-mix, resample,
clipping counts, denoise, loudness) -> voice_activity
and slicing (pauses, clip lengths) -> transcript_split (sentences to slices) -> transcription
(optional local Whisper) -> checks and duplicates -> report; pipeline runs them, cache keeps them.

Only the cheap modules are imported here: worker processes import ``source_processing`` and must
not pay for torch. The entry point is ``polyvox.prepare.pipeline.prepare_dataset``.
"""

from polyvox.prepare.errors import PrepareError, TranscriptionError
from polyvox.prepare.settings import AudioSettings, CheckSettings, PrepareSettings

__all__ = ["AudioSettings", "CheckSettings", "PrepareError", "PrepareSettings", "TranscriptionError"]
