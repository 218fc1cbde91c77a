"""``Voice``: a trained voice file, ready to speak. The Python API behind ``polyvox say``."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from polyvox.checkpoint import VoiceFileError, VoiceMetadata, build_generator, load_voice_file
from polyvox.config import VoiceConfig
from polyvox.fingerprint import require_compatible
from polyvox.partial_loading import load_partial_state
from polyvox.text import TextFrontend, to_ids
from polyvox.text.symbols import SymbolTable

logger = logging.getLogger(__name__)

# Silence placed between sentences, in seconds.
SENTENCE_PAUSE_S = 0.15
# Sentences synthesised together in one batch.
SENTENCE_BATCH = 8


class SynthesisError(ValueError):
    """The request cannot be spoken by this voice (unknown language or speaker, bad scale)."""


@dataclass(frozen=True)
class SynthesisResult:
    samples: np.ndarray  # float32 mono in [-1, 1]
    sample_rate: int

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate


class Voice:
    def __init__(self, generator: torch.nn.Module, metadata: VoiceMetadata) -> None:
        self.generator = generator.eval()
        self.metadata = metadata
        self.frontend = TextFrontend(metadata.languages, metadata.config.text.inline_latin_language)

    @classmethod
    def load(cls, path: str | Path, config: VoiceConfig | None = None, partial: bool = False) -> Voice:
        """Load a ``.safetensors`` voice file (raises ``VoiceFileError`` when it is missing or broken).

        ``config``: the architecture the caller expects; when it differs from the voice's own, a
        ``CompatibilityError`` lists every difference before anything is built. With ``partial=True``
        the given config is built instead and only tensors of matching name and shape are loaded;
        every one left out is logged at WARNING.
        """
        tensors, metadata = load_voice_file(path)
        if config is not None and not partial:
            require_compatible(metadata, config, str(path))
        if config is not None:
            metadata = dataclasses.replace(metadata, config=config)
        generator = build_generator(metadata)
        if partial:
            report = load_partial_state(generator, tensors)
            logger.warning("%s: partial load: %s", path, report.summary())
            for line in report.lines():
                logger.warning("%s: %s", path, line)
        else:
            missing, unexpected = generator.load_state_dict(tensors, strict=False)
            if missing or unexpected:
                raise VoiceFileError(
                    f"{path}: weights do not match the architecture in its own config "
                    f"(missing {len(missing)}: {missing[:5]}; unexpected {len(unexpected)}: {unexpected[:5]}); "
                    "pass partial=True to load what matches"
                )
        if hasattr(generator.decoder, "remove_weight_norm"):
            generator.decoder.remove_weight_norm()
        return cls(generator, metadata)

    @property
    def sample_rate(self) -> int:
        return self.metadata.config.audio.sample_rate

    @property
    def languages(self) -> tuple[str, ...]:
        return self.metadata.languages

    @property
    def speakers(self) -> tuple[str, ...]:
        return self.metadata.speakers

    @property
    def symbols(self) -> SymbolTable:
        return self.metadata.symbols

    def _speaker_id(self, speaker: str | int | None, language: str) -> int:
        if speaker is None:
            # Prefer a speaker trained on this language (names start with the language code by convention).
            for index, name in enumerate(self.speakers):
                if name.split("_")[0] == language:
                    return index
            return 0
        if isinstance(speaker, int) or (isinstance(speaker, str) and speaker.isdigit()):
            index = int(speaker)
            if not 0 <= index < len(self.speakers):
                raise SynthesisError(f"speaker index {index} out of range: this voice has {len(self.speakers)} speakers")
            return index
        if speaker not in self.speakers:
            raise SynthesisError(f"unknown speaker {speaker!r}; this voice has: {', '.join(self.speakers)}")
        return self.speakers.index(speaker)

    def _language(self, language: str | None) -> str:
        if language is None:
            return self.languages[0]
        if language not in self.languages:
            raise SynthesisError(f"this voice does not speak {language!r}; it speaks: {', '.join(self.languages)}")
        return language

    def encode(self, sentence: str, language: str) -> tuple[list[int], list[int]]:
        tokens = self.frontend.phonemize(sentence, language)
        language_table = {name: index for index, name in enumerate(self.languages)}
        return to_ids(tokens, self.symbols, self.metadata.config.text.add_blank, language_table)

    def synthesize(
        self,
        text: str,
        language: str | None = None,
        speaker: str | int | None = None,
        speed: float = 1.0,
        noise_scale: float = 0.667,
        noise_scale_duration: float = 0.8,
        seed: int | None = None,
    ) -> SynthesisResult:
        """Speak ``text``; long text is split into sentences and synthesised in batches.

        Raises ``TextError`` subclasses for empty text or unknown symbols, ``SynthesisError`` for an
        unknown language or speaker or a bad scale.
        """
        if not speed > 0:
            raise SynthesisError(f"speed must be positive, got {speed}")
        if noise_scale < 0 or noise_scale_duration < 0:
            raise SynthesisError("noise scales must be >= 0")
        language = self._language(language)
        speaker_id = self._speaker_id(speaker, language)
        sentences = self.frontend.split_sentences(text, language)
        encoded = [self.encode(sentence, language) for sentence in sentences]
        generator = torch.Generator().manual_seed(seed) if seed is not None else None
        pieces: list[np.ndarray] = [np.zeros(0, dtype=np.float32)] * len(encoded)
        order = sorted(range(len(encoded)), key=lambda index: len(encoded[index][0]))
        for start in range(0, len(order), SENTENCE_BATCH):
            chunk = order[start : start + SENTENCE_BATCH]
            waves = self._synthesize_batch([encoded[i] for i in chunk], speaker_id, 1.0 / speed, noise_scale, noise_scale_duration, generator)
            for index, wave in zip(chunk, waves):
                pieces[index] = wave
        pause = np.zeros(int(SENTENCE_PAUSE_S * self.sample_rate), dtype=np.float32)
        joined: list[np.ndarray] = []
        for index, piece in enumerate(pieces):
            if index:
                joined.append(pause)
            joined.append(piece)
        return SynthesisResult(samples=np.concatenate(joined), sample_rate=self.sample_rate)

    def _synthesize_batch(
        self,
        encoded: list[tuple[list[int], list[int]]],
        speaker_id: int,
        length_scale: float,
        noise_scale: float,
        noise_scale_duration: float,
        generator: torch.Generator | None,
    ) -> list[np.ndarray]:
        batch = len(encoded)
        text_len = max(len(ids) for ids, _ in encoded)
        phoneme_ids = torch.zeros(batch, text_len, dtype=torch.long)
        language_ids = torch.zeros(batch, text_len, dtype=torch.long)
        for row, (ids, languages) in enumerate(encoded):
            phoneme_ids[row, : len(ids)] = torch.tensor(ids)
            language_ids[row, : len(ids)] = torch.tensor(languages)
            language_ids[row, len(ids) :] = languages[-1]
        lengths = torch.tensor([len(ids) for ids, _ in encoded])
        output = self.generator.synthesize(
            phoneme_ids,
            language_ids,
            lengths,
            torch.full((batch,), speaker_id, dtype=torch.long),
            length_scale=length_scale,
            noise_scale=noise_scale,
            noise_scale_duration=noise_scale_duration,
            noise_generator=generator,
        )
        waves = output.waveform[:, 0].float().clamp(-1.0, 1.0).numpy()
        return [waves[row, : int(output.sample_lengths[row])].copy() for row in range(batch)]
