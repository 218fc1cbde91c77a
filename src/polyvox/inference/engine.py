"""What both engines (PyTorch ``Voice``, onnxruntime ``OnnxVoice``) do around their model, without torch.

A voice's tables, sentences joined with a pause, and streams that phonemize each sentence as it is
reached: each engine supplies only how it speaks one encoded sentence, whole or in chunks.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Generator, Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np

from polyvox.inference.request import SENTENCE_PAUSE_S, SpeechOptions, VoiceText
from polyvox.inference.result import SynthesisError, SynthesisResult
from polyvox.inference.windows import ChunkSchedule
from polyvox.text.ids import EncodedText
from polyvox.text.symbols import SymbolTable
from polyvox.text.text_features import TextFeaturesError

if TYPE_CHECKING:
    from polyvox.speech_request import SpeechRequest
    from polyvox.text.text_features import TextFeatureExtractor
    from polyvox.text.token import Token

Encoded = EncodedText  # phoneme ids, language id and prosody id per phoneme


class FeaturedText(EncodedText):
    """A sentence's ids with each id's text features (ids, dim), as a text-feature voice encodes it. Still the three
    sequences when unpacked, so code that reads only the ids takes it as it is."""

    text_features: np.ndarray

    @classmethod
    def of(cls, encoded: EncodedText, features: np.ndarray) -> FeaturedText:
        featured = cls(*encoded)
        featured.text_features = features
        return featured


def text_features_of(encoded: Encoded) -> np.ndarray | None:
    """The sentence's text features (ids, dim); None for a voice without them."""
    return encoded.text_features if isinstance(encoded, FeaturedText) else None
SpeakWhole = Callable[[Encoded], np.ndarray]
SpeakChunks = Callable[[Encoded], Iterator[np.ndarray]]
# Called by a stream after each sentence, e.g. to step a progress bar.
SentenceDone = Callable[[], None]


def chunk_schedule(first_chunk_frames: int, chunk_frames: int) -> ChunkSchedule:
    """A stream's window sizes; sizes that make no schedule are the request's fault (``SynthesisError``)."""
    try:
        return ChunkSchedule(first_chunk_frames, chunk_frames)
    except ValueError as error:
        raise SynthesisError(str(error)) from error


class SentenceEngine(ABC):
    text: VoiceText
    # The sentence model of a voice trained with text features (``TextFeatureExtractor.for_voice``); None for the others.
    text_features: TextFeatureExtractor | None = None
    # What the refusal of such a voice without its model tells the user to pass (each engine names its own).
    text_features_option = "its model folder (text_features=FOLDER)"

    @property
    @abstractmethod
    def sample_rate(self) -> int: ...

    @property
    def languages(self) -> tuple[str, ...]:
        return self.text.languages

    @property
    def speakers(self) -> tuple[str, ...]:
        return self.text.speakers

    @property
    def symbols(self) -> SymbolTable:
        return self.text.symbols

    def encode(self, sentence: str, language: str) -> Encoded:
        """The sentence's ids; a text-feature voice's carry each id's features (``FeaturedText``)."""
        if not self.text.config.model.text_features.enabled:
            return self.text.encode(sentence, language)
        if self.text_features is None:
            raise TextFeaturesError(f"this voice needs text features: load it with {self.text_features_option}")
        rules = self.text.rules
        tokens = rules.resolve_unseen(rules.tokens(sentence, language))
        features = self.text_features.sentence_features(sentence, language, tokens, rules)
        return FeaturedText.of(rules.encode_tokens(tokens), features.per_position())

    def _written(self, request: SpeechRequest, language: str) -> list[Token] | None:
        """``VoiceText.written``; refused for a text-feature voice, whose features come from the sentence's words."""
        written = self.text.written(request, language)
        if written is not None and self.text.config.model.text_features.enabled:
            raise SynthesisError("this voice reads text features from the sentence's words: give it text, not phonemes or a score")
        return written

    def _pause(self) -> np.ndarray:
        return np.zeros(int(SENTENCE_PAUSE_S * self.sample_rate), dtype=np.float32)

    def _joined(self, encoded: Sequence[Encoded], speak: SpeakWhole) -> SynthesisResult:
        """Every sentence spoken in order, with a pause between."""
        joined: list[np.ndarray] = []
        for index, sentence in enumerate(encoded):
            if index:
                joined.append(self._pause())
            joined.append(speak(sentence))
        return SynthesisResult(samples=np.concatenate(joined).astype(np.float32), sample_rate=self.sample_rate)

    def _streamed(
        self,
        sentences: list[str],
        first: Encoded,
        options: SpeechOptions,
        speak: SpeakWhole,
        speak_chunks: SpeakChunks,
        on_sentence: SentenceDone | None = None,
    ) -> Generator[np.ndarray, None, None]:
        """The sentences' chunks with a pause between; ``first`` is the first sentence, encoded by the caller.

        With a pitch, a style label's correction or a reference clip's pitch, a sentence comes as one chunk: WORLD's
        analysis needs the whole sentence.
        ``on_sentence`` is called once a sentence's last chunk has been taken (a progress bar's step).
        """
        for index, sentence in enumerate(sentences):
            if index:
                yield self._pause()
            encoded = first if index == 0 else self.encode(sentence, options.language)
            if options.whole_sentences:
                yield speak(encoded)
            else:
                yield from speak_chunks(encoded)
            if on_sentence is not None:
                on_sentence()
