"""Where the synthesized clip of each recording comes from: a folder of files, or a voice speaking its text."""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from polyvox.data.manifest import Utterance
from polyvox.evaluation.errors import EvaluationError
from polyvox.inference.request import speaker_index, voice_language
from polyvox.inference.result import SynthesisError
from polyvox.renamed import forward_renamed
from polyvox.speech_request import SpeechRequest

if TYPE_CHECKING:
    from polyvox.inference.voice import Voice

# File types looked for in a --synthesized folder, in this order.
SYNTHESIZED_EXTENSIONS = (".wav", ".flac")

# "Reference" means a timbre clip in synthesis (say --reference); here the ground truth is a recording.
__getattr__ = forward_renamed(__name__, {"Reference": "Recording"})


@dataclass(frozen=True)
class Recording:
    """A recorded utterance (the ground truth a system's clip is scored against), its id (the audio file's
    name without extension) and its samples."""

    utterance_id: str
    utterance: Utterance
    samples: np.ndarray  # mono float32 at the evaluation's sample rate


class AudioSource(Protocol):
    """One system under evaluation: gives its clip of a recording."""

    name: str

    def check(self, utterances: Sequence[tuple[str, Utterance]]) -> None:
        """Raise ``EvaluationError`` before any work if some (id, utterance) cannot be produced."""

    def __call__(self, recording: Recording) -> np.ndarray:
        """Mono float32 samples at the evaluation's sample rate."""


class FolderSource:
    """Clips synthesized elsewhere: ``<folder>/<id>.wav`` (or ``.flac``) for each recording id."""

    def __init__(self, folder: Path, sample_rate: int, name: str = "synthesized") -> None:
        self.folder = folder
        self.sample_rate = sample_rate
        self.name = name

    def path_for(self, utterance_id: str) -> Path | None:
        for extension in SYNTHESIZED_EXTENSIONS:
            candidate = self.folder / f"{utterance_id}{extension}"
            if candidate.is_file():
                return candidate
        return None

    def check(self, utterances: Sequence[tuple[str, Utterance]]) -> None:
        if not self.folder.is_dir():
            raise EvaluationError(f"synthesized folder not found: {self.folder}")
        missing = [identifier for identifier, _ in utterances if self.path_for(identifier) is None]
        if missing:
            shown = ", ".join(f"{identifier}.wav" for identifier in missing[:5])
            raise EvaluationError(
                f"{len(missing)} of {len(utterances)} recordings have no synthesized file in {self.folder} "
                f"(missing: {shown}{', ...' if len(missing) > 5 else ''}); name each file after its recording's audio file"
            )

    def __call__(self, recording: Recording) -> np.ndarray:
        from polyvox.audio.io import load_audio

        path = self.path_for(recording.utterance_id)
        if path is None:
            raise EvaluationError(f"no synthesized file for {recording.utterance_id} in {self.folder}")
        return load_audio(path, self.sample_rate)


def voice_speaker(voice: Voice, utterance: Utterance, speaker_override: str | None) -> str:
    """The voice's speaker for a recording: ``speaker_override`` if given, else the recording's own speaker.
    The voice's own checks decide (as for ``say`` and the server); the message adds the recording."""
    name = speaker_override if speaker_override is not None else utterance.speaker
    try:
        speaker_index(name, voice.speakers, "the voice", names_only=True)
    except SynthesisError as error:
        hint = "" if speaker_override is not None else "; pass --speaker NAME to speak every recording's text with one of them"
        raise EvaluationError(f"recording {Path(utterance.audio).name}: {error}{hint}") from error
    return name


def check_voice_covers(voice: Voice, utterances: Sequence[tuple[str, Utterance]], speaker_override: str | None) -> None:
    """Before any synthesis (a run may take hours): every recording's language is spoken by ``voice`` and its
    speaker resolves (see ``voice_speaker``)."""
    for _identifier, utterance in utterances:
        try:
            voice_language(utterance.language, voice.languages, "the voice")
        except SynthesisError as error:
            raise EvaluationError(
                f"recording {Path(utterance.audio).name}: {error}; leave those recordings out of the manifest"
            ) from error
        voice_speaker(voice, utterance, speaker_override)


class VoiceSource:
    """A voice speaks each recording's text, in its language, as its speaker, with the options of ``options``
    (a request without text: a fixed seed, the noise scales)."""

    def __init__(
        self, voice: Voice, name: str = "voice", speaker_override: str | None = None,
        options: SpeechRequest = SpeechRequest(seed=0), seed: int | None = None,
    ) -> None:
        if seed is not None:  # the former keyword, before the options were one request
            warnings.warn("VoiceSource(seed=N) is deprecated; pass options=SpeechRequest(seed=N)", DeprecationWarning, stacklevel=2)
            options = dataclasses.replace(options, seed=seed)
        self.voice = voice
        self.name = name
        self.speaker_override = speaker_override
        self.options = options

    def check(self, utterances: Sequence[tuple[str, Utterance]]) -> None:
        check_voice_covers(self.voice, utterances, self.speaker_override)

    def __call__(self, recording: Recording) -> np.ndarray:
        utterance = recording.utterance
        speaker = self.voice.speakers.index(voice_speaker(self.voice, utterance, self.speaker_override))
        request = dataclasses.replace(self.options, text=utterance.text, language=utterance.language, speaker=speaker)
        result = self.voice.synthesize(request)
        return result.samples
