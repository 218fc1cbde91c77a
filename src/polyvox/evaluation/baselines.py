"""Baselines for a voice's figures: copy-synthesis (the best its decoder can do on this audio)
and the untrained model of the same architecture (what no training gives)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

import numpy as np

from polyvox.data.manifest import Utterance
from polyvox.evaluation.errors import EvaluationError
from polyvox.evaluation.sources import AudioSource, Recording, VoiceSource, check_voice_covers, voice_speaker

if TYPE_CHECKING:
    from polyvox.inference.voice import Voice
    from polyvox.models.vits import VitsGenerator

BASELINES = ("copy", "aligned", "untrained")
# Names of the baseline systems in reports.
COPY_SYNTHESIS = "copy-synthesis"
UNTRAINED = "untrained"


class CopySynthesis:
    """Recording -> log-mel -> posterior encoder (its mean) -> decoder, with the recording's speaker.

    No text, durations, prior or flow are involved, so what is left is the error of the voice's
    spectrogram encoding and vocoder alone: a floor the text-to-speech figures can approach.
    """

    name = COPY_SYNTHESIS

    def __init__(self, voice: Voice, speaker_override: str | None = None) -> None:
        from polyvox.audio.features import MelSpectrogram

        self.voice = voice
        self.speaker_override = speaker_override
        self.mel = MelSpectrogram(voice.metadata.config.audio)

    def check(self, utterances: Sequence[tuple[str, Utterance]]) -> None:
        check_voice_covers(self.voice, utterances, self.speaker_override)

    def __call__(self, recording: Recording) -> np.ndarray:
        import torch

        generator = cast("VitsGenerator", self.voice.generator)
        speaker_index = self.voice.speakers.index(voice_speaker(self.voice, recording.utterance, self.speaker_override))
        with torch.no_grad():
            mel = self.mel(torch.from_numpy(recording.samples).float().unsqueeze(0))  # (1, n_mels, frames)
            frame_mask = torch.ones(1, 1, mel.shape[-1])
            speaker = generator.speaker_vector(torch.tensor([speaker_index]))
            posterior = generator.posterior_encoder(mel, frame_mask, speaker)
            waveform = generator.decoder(posterior.means * frame_mask, speaker)
        return waveform[0, 0].float().clamp(-1.0, 1.0).numpy()


def untrained_voice(voice: Voice, seed: int) -> Voice:
    """A voice with ``voice``'s architecture, tables and settings but fresh random weights (seeded)."""
    import torch

    from polyvox.voice_file import build_generator
    from polyvox.inference.voice import Voice

    with torch.random.fork_rng():  # leave the caller's random state alone
        torch.manual_seed(seed)
        generator = build_generator(voice.metadata)
    return Voice(generator, voice.metadata, voice.text_features)  # a text-feature voice keeps its model


def baseline_sources(baselines: Sequence[str], voice_source: VoiceSource) -> list[AudioSource]:
    """The named baselines (``copy``, ``untrained``) of ``voice_source``'s voice, with its speaker, seed and noise."""
    sources: list[AudioSource] = []
    for baseline in baselines:
        if baseline == "copy":
            sources.append(CopySynthesis(voice_source.voice, voice_source.speaker_override))
        elif baseline == "aligned":
            from polyvox.evaluation.aligned_synthesis import AlignedSynthesis

            # The request's noise, else the voice's own (synthesis_settings.py).
            noise_scale = voice_source.voice.text.settings(voice_source.options).noise_scale
            sources.append(AlignedSynthesis(voice_source.voice, voice_source.options.seed or 0, voice_source.speaker_override, noise_scale))
        elif baseline == "untrained":
            sources.append(
                VoiceSource(
                    untrained_voice(voice_source.voice, voice_source.options.seed or 0), UNTRAINED,
                    voice_source.speaker_override, voice_source.options,
                )
            )
        else:
            raise EvaluationError(f"unknown baseline {baseline!r}; choose from {', '.join(BASELINES)}")
    return sources
