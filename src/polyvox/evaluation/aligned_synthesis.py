"""Text-to-speech with a recording's timing: which of a voice's losses are its durations'.

Between copy-synthesis (the recording through the posterior encoder and the decoder: no text) and text-to-speech
(the text alone) lie two things a voice learns: the prior each phoneme is read as, and how long each is held. This
stage keeps the first and takes the second from the recording: the monotonic alignment search training runs
between the voice's text prior and the recording's posterior latent (through the flow) gives each phoneme its
frames, and the voice speaks the text with those durations, with the noise and seed of text-to-speech. What it
gains over text-to-speech is the duration predictors' share of the loss; what it still loses against
copy-synthesis is the prior's and the alignment's. A clip whose manifest gives phoneme durations is timed as
training times it: by those durations, or for a voice that numbers characters by the search within them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, cast

import numpy as np

from polyvox.evaluation.errors import EvaluationError
from polyvox.data.manifest import Utterance
from polyvox.evaluation.sources import Recording, check_voice_covers, voice_speaker
from polyvox.synthesis_settings import STANDARD

if TYPE_CHECKING:
    from torch import Tensor

    from polyvox.data.dataset import EncodedUtterance
    from polyvox.inference.engine import Encoded
    from polyvox.inference.voice import Voice
    from polyvox.models.vits import VitsGenerator

ALIGNED_SYNTHESIS = "aligned-synthesis"


class AlignedSynthesis:
    """Recording + its text -> the recording's alignment to the voice's prior -> text-to-speech with those durations."""

    name = ALIGNED_SYNTHESIS

    def __init__(
        self, voice: Voice, seed: int = 0, speaker_override: str | None = None, noise_scale: float = STANDARD.noise_scale
    ) -> None:
        from polyvox.audio.features import MelSpectrogram

        if voice.metadata.config.model.style.enabled:
            raise EvaluationError("aligned synthesis reads voices without a style encoder; judge a style voice by copy-synthesis and text")
        self.voice = voice
        self.seed = seed
        self.speaker_override = speaker_override
        self.noise_scale = noise_scale
        self.mel = MelSpectrogram(voice.metadata.config.audio)

    def check(self, utterances: Sequence[tuple[str, Utterance]]) -> None:
        check_voice_covers(self.voice, utterances, self.speaker_override)

    def speaker_index(self, utterance: Utterance) -> int:
        return self.voice.speakers.index(voice_speaker(self.voice, utterance, self.speaker_override))

    def durations(self, recording: Recording) -> tuple[Encoded, np.ndarray]:
        """The sentence's encoding and each id's frames in the recording (alignment search, as training does)."""
        import torch

        generator = cast("VitsGenerator", self.voice.generator)
        utterance = recording.utterance
        encoded = self.voice.encode(utterance.text, utterance.language)
        inputs = text_inputs(encoded)
        speaker = generator.speaker_vector(torch.tensor([self.speaker_index(utterance)]))
        with torch.no_grad():
            mel = self.mel(torch.from_numpy(recording.samples).float().unsqueeze(0))
            frame_mask = torch.ones(1, 1, mel.shape[-1])
            posterior = generator.posterior_encoder(mel, frame_mask, speaker, noise_scale=0.0)
            flow_latent = generator.flow(posterior.latent, frame_mask, speaker)
            ids, languages, lengths, prosody, features = inputs
            text = generator.text_encoder(ids, languages, lengths, speaker, prosody, features)
            # Training's own rule (``VitsGenerator._alignment``): the manifest's durations, or the search within its
            # windows, or the search alone.
            timing = self._manifest_timing(utterance, encoded, mel.shape[-1])
            durations = windows = None
            if timing is not None:
                durations = None if timing.durations is None else torch.tensor([timing.durations])
                windows = None if timing.duration_windows is None else torch.tensor([timing.duration_windows])
            path = generator._alignment(
                text.float(), flow_latent.float(), text.text_mask.squeeze(1) > 0, frame_mask.squeeze(1) > 0,
                durations, torch.tensor([durations is not None]), windows,
            )
        return encoded, path.sum(dim=2)[0].numpy()

    def search_offset_ms(self, recording: Recording) -> float | None:
        """How far the voice's own alignment search, unbounded, puts each phoneme's start from where the clip's
        manifest durations put it (mean absolute difference, ms); None for a clip whose manifest does not time it."""
        import dataclasses

        from polyvox.data.dataset import RESERVED_IDS, seconds_to_frames

        utterance = recording.utterance
        if not utterance.phonemes or not utterance.phoneme_durations:
            return None
        untimed = dataclasses.replace(utterance, phonemes=None, phoneme_durations=None)
        encoded, frames = self.durations(dataclasses.replace(recording, utterance=untimed))
        total = int(frames.sum())
        audio = self.voice.metadata.config.audio
        token_frames = seconds_to_frames(list(utterance.phoneme_durations), total, audio)
        if token_frames is None or self._manifest_timing(utterance, encoded, total) is None:
            return None  # the manifest's phonemes do not give the sentence's ids, or do not fill the clip
        tokens = self.voice.text.rules.utterance_tokens(utterance)
        by_character = self.voice.metadata.config.text.token_unit == "codepoint"
        ids_per_token = np.array([len(token.symbol) if by_character else 1 for token in tokens])
        id_starts = (np.cumsum(frames) - frames)[[i for i, phoneme_id in enumerate(encoded[0]) if phoneme_id not in RESERVED_IDS]]
        searched = id_starts[np.cumsum(ids_per_token) - ids_per_token]  # each token's first id
        timed = np.cumsum(token_frames) - np.asarray(token_frames)
        # The first phoneme is left out: a manifest's first token starts the clip (it carries the leading silence).
        return float(np.mean(np.abs(searched[1:] - timed[1:])) * audio.hop_length / audio.sample_rate * 1000)

    def _manifest_timing(self, utterance: Utterance, encoded: Encoded, frames: int) -> EncodedUtterance | None:
        """The clip as training encodes it, when its manifest times its phonemes and they give the sentence's ids."""
        from polyvox.data.dataset import encode_utterance
        from polyvox.text.errors import TextError

        if not utterance.phonemes or not utterance.phoneme_durations:
            return None
        rules = self.voice.text.rules
        try:
            tokens = rules.utterance_tokens(utterance)
            item = encode_utterance(utterance, tokens, rules, {utterance.speaker: 0}, frames, self.voice.metadata.config.audio)
        except TextError:
            return None
        return item if list(item.phoneme_ids) == list(encoded.phoneme_ids) else None

    def __call__(self, recording: Recording) -> np.ndarray:
        import torch

        generator = cast("VitsGenerator", self.voice.generator)
        encoded, frames = self.durations(recording)
        ids, languages, lengths, prosody, features = text_inputs(encoded)
        speaker_index = self.speaker_index(recording.utterance)
        with torch.no_grad():
            output = generator.synthesize(
                ids, languages, lengths, torch.tensor([speaker_index]),
                noise_scale=self.noise_scale, durations=torch.from_numpy(frames).unsqueeze(0).float(),
                noise_generator=torch.Generator().manual_seed(self.seed), prosody_ids=prosody, text_features=features,
            )
        return output.waveform[0, 0, : int(output.sample_lengths[0])].float().clamp(-1.0, 1.0).numpy()


def text_inputs(encoded: Encoded) -> tuple[Tensor, Tensor, Tensor, Tensor | None, Tensor | None]:
    """A sentence's encoding as the generator takes it: ids, language ids, length, prosody ids (None when unmarked)
    and text features (None for a voice without them), each with a batch of one."""
    import torch

    from polyvox.inference.engine import text_features_of

    ids, languages, prosody = (torch.tensor([list(sequence)]) for sequence in encoded)
    features = text_features_of(encoded)
    return (
        ids, languages, torch.tensor([ids.shape[1]]), prosody if prosody.any() else None,
        None if features is None else torch.from_numpy(features).float().unsqueeze(0),
    )
