"""Training dataset: phoneme ids prepared once, features read from the cache, batches padded by collate."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import Dataset

from polyvox.audio.features import LOG_FLOOR
from polyvox.config import AudioConfig
from polyvox.data.features_cache import FeatureCache
from polyvox.data.manifest import Utterance
from polyvox.text.rules import TextRules
from polyvox.text.symbols import BOS_ID, EOS_ID, PAD_ID
from polyvox.text.text_features import TextFeatures
from polyvox.text.token import Token

logger = logging.getLogger(__name__)

RESERVED_IDS = (PAD_ID, BOS_ID, EOS_ID)
# Manifest durations whose total is further than this from the audio are not trusted.
MAX_DURATION_MISMATCH_FRAMES = 3
# Where manifest durations only bound the alignment search, a token may reach this far past its own frames.
DURATION_WINDOW_SLACK_FRAMES = 2


@dataclass(frozen=True)
class EncodedUtterance:
    utterance: Utterance
    phoneme_ids: tuple[int, ...]
    language_ids: tuple[int, ...]
    speaker_id: int
    # Frames per id (reserved ids get 0) when the manifest carries phoneme durations.
    durations: tuple[int, ...] | None
    # Mel frames of the clip, and the length it is padded to with silence when loaded (0: not padded).
    frames: int = 0
    padded_frames: int = 0
    # Accent and length beside each id (features scheme); empty: all unmarked.
    prosody_ids: tuple[int, ...] = ()
    # Row of the voice's style-label table (the manifest's ``style``); -1: none (its style is encoded from its mel).
    style_id: int = -1
    # Each id's sentence-model features (voices with model.text_features); None: the voice has none.
    text_features: TextFeatures | None = None
    # [first, last) frame each id may take in the alignment search: the manifest's durations for voices
    # whose ids cannot take them exactly (``duration_windows``); None: unbounded.
    duration_windows: tuple[tuple[int, int], ...] | None = None


@dataclass
class Batch:
    phoneme_ids: Tensor  # (batch, text_len) long
    language_ids: Tensor  # (batch, text_len) long
    text_lengths: Tensor  # (batch,)
    mel: Tensor  # (batch, n_mels, frames)
    mel_lengths: Tensor  # (batch,)
    waveform: Tensor  # (batch, 1, frames * hop)
    speaker_ids: Tensor  # (batch,)
    durations: Tensor  # (batch, text_len) long, zeros where unknown
    has_durations: Tensor  # (batch,) bool
    prosody_ids: Tensor | None = None  # (batch, text_len) long; None: all unmarked
    style_ids: Tensor | None = None  # (batch,) long, -1 where unlabelled; None: none labelled
    text_features: Tensor | None = None  # (batch, text_len, dim) float; None: the voice has no text features
    duration_windows: Tensor | None = None  # (batch, text_len, 2) long [first, last) frames; None: no item has any

    def to(self, device: torch.device | str) -> Batch:
        return Batch(**{name: None if value is None else value.to(device) for name, value in self.__dict__.items()})


def seconds_to_frames(seconds: list[float], total_frames: int, audio: AudioConfig) -> list[int] | None:
    """Per-token frames by rounding cumulative boundaries, so the sum is exact; None if far off."""
    boundaries = np.round(np.cumsum(seconds) * audio.sample_rate / audio.hop_length).astype(int)
    if abs(int(boundaries[-1]) - total_frames) > MAX_DURATION_MISMATCH_FRAMES:
        return None
    boundaries = np.minimum(boundaries, total_frames)
    boundaries[-1] = total_frames
    return np.diff(np.concatenate([[0], boundaries])).tolist()


def spread_durations(phoneme_ids: list[int], token_frames: list[int]) -> tuple[int, ...] | None:
    """Token frames placed on the id sequence (reserved ids - BOS, EOS, blanks - take 0 frames)."""
    result = []
    remaining = iter(token_frames)
    for phoneme_id in phoneme_ids:
        result.append(0 if phoneme_id in RESERVED_IDS else next(remaining, None))
    if None in result or next(remaining, None) is not None:
        return None
    return tuple(result)


def duration_windows(
    phoneme_ids: Sequence[int], token_lengths: Sequence[int], token_frames: list[int], total_frames: int
) -> tuple[tuple[int, int], ...] | None:
    """The frames each id may take, for ids that number each character of a token (imported Piper voices)
    and put blanks between them: a token's frames are known, not how its characters and the blanks around
    them share them. Every character of a token gets the token's frames, a reserved id (blank, BOS, EOS)
    those of the tokens either side, all widened by ``DURATION_WINDOW_SLACK_FRAMES``."""
    owners = [token for token, length in enumerate(token_lengths) for _ in range(length)]
    real = [position for position, phoneme_id in enumerate(phoneme_ids) if phoneme_id not in RESERVED_IDS]
    if len(real) != len(owners):
        return None
    ends = np.cumsum(token_frames)
    starts = ends - np.asarray(token_frames)
    owner_at = dict(zip(real, owners))
    following: list[int | None] = []  # the token of the first real id at or after each position
    upcoming = None
    for position in reversed(range(len(phoneme_ids))):
        upcoming = owner_at.get(position, upcoming)
        following.append(upcoming)
    following.reverse()
    windows = []
    preceding = None  # the token of the last real id before this position
    for position, after in enumerate(following):
        if position in owner_at:
            first, last = starts[owner_at[position]], ends[owner_at[position]]
            preceding = owner_at[position]
        else:
            first = starts[preceding] if preceding is not None else 0
            last = ends[after] if after is not None else total_frames
        windows.append((max(0, int(first) - DURATION_WINDOW_SLACK_FRAMES), min(total_frames, int(last) + DURATION_WINDOW_SLACK_FRAMES)))
    return tuple(windows)


def encode_utterance(
    utterance: Utterance,
    tokens: list[Token],
    rules: TextRules,
    speaker_table: dict[str, int],
    total_frames: int,
    audio: AudioConfig,
    style_table: dict[str, int] | None = None,
    manifest_durations: bool = True,
) -> EncodedUtterance:
    """Ids (and frame durations, when the manifest has them and ``manifest_durations``) for ``tokens``, the clip's
    phonemes in the voice's scheme (``rules.utterance_tokens``). A voice that numbers each character gets the durations
    as windows for the alignment search instead (``duration_windows``)."""
    phoneme_ids, language_ids, prosody_ids = rules.encode_tokens(tokens)
    durations = None
    windows = None
    if manifest_durations and utterance.phonemes and utterance.phoneme_durations:
        token_frames = seconds_to_frames(list(utterance.phoneme_durations), total_frames, audio)
        if token_frames is not None and rules.config.text.token_unit == "codepoint":
            windows = duration_windows(phoneme_ids, [len(token.symbol) for token in tokens], token_frames, total_frames)
        elif token_frames is not None:
            durations = spread_durations(phoneme_ids, token_frames)
    return EncodedUtterance(
        utterance=utterance,
        phoneme_ids=tuple(phoneme_ids),
        language_ids=tuple(language_ids),
        speaker_id=speaker_table[utterance.speaker],
        durations=durations,
        frames=total_frames,
        prosody_ids=tuple(prosody_ids) if any(prosody_ids) else (),
        style_id=(style_table or {}).get(utterance.style or "", -1),
        duration_windows=windows,
    )


class TtsDataset(Dataset):
    def __init__(self, items: list[EncodedUtterance], cache: FeatureCache) -> None:
        self.items = items
        self.cache = cache

    def __len__(self) -> int:
        return len(self.items)

    def durations_s(self) -> list[float]:
        return [item.utterance.duration for item in self.items]

    def __getitem__(self, index: int) -> tuple[EncodedUtterance, Tensor, Tensor]:
        item = self.items[index]
        waveform, mel = self.cache.load(item.utterance)
        missing = item.padded_frames - mel.shape[1]
        if missing > 0:
            hop = waveform.shape[0] // mel.shape[1]
            waveform = torch.nn.functional.pad(waveform, (0, missing * hop))
            mel = torch.nn.functional.pad(mel, (0, missing), value=float(np.log(LOG_FLOOR)))
        return item, waveform, mel


def collate(samples: list[tuple[EncodedUtterance, Tensor, Tensor]]) -> Batch:
    batch_size = len(samples)
    text_len = max(len(item.phoneme_ids) for item, _, _ in samples)
    frames = max(mel.shape[1] for _, _, mel in samples)
    n_mels = samples[0][2].shape[0]
    hop = samples[0][1].shape[0] // samples[0][2].shape[1]
    phoneme_ids = torch.zeros(batch_size, text_len, dtype=torch.long)
    language_ids = torch.zeros(batch_size, text_len, dtype=torch.long)
    prosody_ids = torch.zeros(batch_size, text_len, dtype=torch.long)
    durations = torch.zeros(batch_size, text_len, dtype=torch.long)
    has_durations = torch.zeros(batch_size, dtype=torch.bool)
    mel_batch = torch.full((batch_size, n_mels, frames), float(np.log(1e-5)))
    waveform_batch = torch.zeros(batch_size, 1, frames * hop)
    for row, (item, waveform, mel) in enumerate(samples):
        length = len(item.phoneme_ids)
        phoneme_ids[row, :length] = torch.tensor(item.phoneme_ids)
        language_ids[row, :length] = torch.tensor(item.language_ids)
        # Padding positions inherit the last language so embeddings stay in range.
        language_ids[row, length:] = item.language_ids[-1]
        if item.prosody_ids:
            prosody_ids[row, :length] = torch.tensor(item.prosody_ids)
        if item.durations is not None:
            durations[row, :length] = torch.tensor(item.durations)
            has_durations[row] = True
        mel_batch[row, :, : mel.shape[1]] = mel
        waveform_batch[row, 0, : waveform.shape[0]] = waveform
    return Batch(
        phoneme_ids=phoneme_ids,
        language_ids=language_ids,
        text_lengths=torch.tensor([len(item.phoneme_ids) for item, _, _ in samples]),
        mel=mel_batch,
        mel_lengths=torch.tensor([mel.shape[1] for _, _, mel in samples]),
        waveform=waveform_batch,
        speaker_ids=torch.tensor([item.speaker_id for item, _, _ in samples]),
        durations=durations,
        has_durations=has_durations,
        prosody_ids=prosody_ids,
        style_ids=torch.tensor([item.style_id for item, _, _ in samples]),
        text_features=_padded_text_features([item for item, _, _ in samples], text_len),
        duration_windows=_padded_windows([item for item, _, _ in samples], text_len, frames),
    )


def _padded_windows(items: list[EncodedUtterance], text_len: int, frames: int) -> Tensor | None:
    """(batch, text_len, 2); items without windows, and padding, may take any frame. None: no item has any."""
    if all(item.duration_windows is None for item in items):
        return None
    windows = torch.zeros(len(items), text_len, 2, dtype=torch.long)
    windows[:, :, 1] = frames
    for row, item in enumerate(items):
        if item.duration_windows is not None:
            windows[row, : len(item.duration_windows)] = torch.tensor(item.duration_windows)
    return windows


def _padded_text_features(items: list[EncodedUtterance], text_len: int) -> Tensor | None:
    """(batch, text_len, dim), zeros past each item's ids; None when the items have no text features."""
    if items[0].text_features is None:
        return None
    rows = [torch.from_numpy(item.text_features.per_position()) for item in items]
    padded = torch.zeros(len(items), text_len, rows[0].shape[1])
    for row, features in enumerate(rows):
        padded[row, : features.shape[0]] = features
    return padded
