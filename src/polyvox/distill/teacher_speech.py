"""One sentence spoken by the source voice, with the duration of each of its tokens: the durations the
voice itself chose, so the clip needs no alignment.

The voice predicts frames per id, blanks, BOS and EOS included; a training manifest gives durations per
token (the ids the student's training gives reserved ids 0 frames). Each reserved id's frames go half to
the token before it and half to the one after.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass

import numpy as np
import torch

from polyvox.data.manifest import Utterance
from polyvox.inference.speed import float32_without_onednn
from polyvox.inference.voice import Voice
from polyvox.synthesis_settings import SynthesisSettings
from polyvox.text.errors import TextError
from polyvox.text.symbols import BOS_ID, EOS_ID, PAD_ID

_RESERVED = (PAD_ID, BOS_ID, EOS_ID)


@dataclass(frozen=True)
class TeacherClip:
    samples: np.ndarray  # float32 mono in [-1, 1]
    # Manifest tokens and their durations in samples (summing to len(samples)); None when the student's reading
    # of the tokens does not give the ids the voice spoke (then training aligns the clip itself).
    phonemes: tuple[str, ...] | None
    durations: np.ndarray | None


def manifest_tokens(voice: Voice, text: str, language: str) -> tuple[str, ...]:
    """The tokens a manifest gives for ``text``: the front end's, one character each for voices that number characters."""
    tokens = voice.frontend.phonemize(text, language)
    if voice.metadata.config.text.token_unit == "codepoint":
        return tuple(character for token in tokens for character in token.symbol)
    return tuple(token.symbol for token in tokens)


def speak_with_durations(voice: Voice, text: str, language: str, speaker: int, style: SynthesisSettings, seed: int) -> TeacherClip:
    """``text`` spoken by ``speaker`` with noise drawn from ``seed`` (raises ``TextError`` for text it cannot read)."""
    ids, language_ids, prosody = voice.encode(text, language)
    generator = voice.generator
    with float32_without_onednn(generator):
        output = generator.synthesize(
            torch.tensor([ids]), torch.tensor([language_ids]), torch.tensor([len(ids)]), torch.tensor([speaker]),
            style.length_scale, style.noise_scale, style.noise_scale_duration,
            noise_generator=torch.Generator().manual_seed(seed), prosody_ids=torch.tensor([prosody]),
        )
    samples = output.waveform[0, 0, : int(output.sample_lengths[0])].float().clamp(-1.0, 1.0).numpy()
    frames = output.durations[0].long().tolist()
    tokens = manifest_tokens(voice, text, language)
    if _student_ids(voice, tokens, language) != list(ids):
        return TeacherClip(samples, None, None)
    hop = voice.metadata.config.audio.hop_length
    return TeacherClip(samples, tokens, token_durations(list(ids), frames) * hop)


def _student_ids(voice: Voice, tokens: tuple[str, ...], language: str) -> list[int] | None:
    rules = voice.text.rules
    probe = Utterance(audio="", text="", speaker="", language=language, duration=0.0, phonemes=tokens, phoneme_durations=(0.0,) * len(tokens))
    try:
        return rules.encode_tokens(rules.utterance_tokens(probe)).phoneme_ids
    except TextError:  # a token the symbol table lacks: the voice spoke a stand-in
        return None


def token_durations(ids: list[int], frames: list[int]) -> np.ndarray:
    """Frames per non-reserved id (float: a reserved id's frames are split between its neighbours)."""
    positions = [index for index, symbol in enumerate(ids) if symbol not in _RESERVED]
    durations = np.zeros(len(positions), dtype=np.float64)
    for index, count in enumerate(frames):
        after = bisect_left(positions, index)  # the first token at or after this id
        if after < len(positions) and positions[after] == index:
            durations[after] += count
        elif 0 < after < len(positions):
            durations[after - 1] += count / 2
            durations[after] += count / 2
        elif positions:
            durations[min(after, len(positions) - 1)] += count
    return durations
